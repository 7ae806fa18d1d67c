package sqlite

import (
	"context"
	"database/sql"
	"os"
	"sync/atomic"
	"time"
)

// Checkpoints copy committed WAL frames into the database file. SQLite's automatic checkpoint
// runs inside the commit that crosses 1,000 frames, so the single writer (and every request
// waiting on it) stopped for the copy and its fsync: about a tenth of the writer's time under
// load. The writer connection therefore has automatic checkpoints off, and a checkpointer
// goroutine on its own connection runs PASSIVE checkpoints, which never block the writer, while
// the writer goes on committing.
//
// A PASSIVE checkpoint copies only the frames committed before it started, so under steady load
// the WAL is never wholly copied, and SQLite writes it from its start again only once it was.
// When it has grown past wrapWALFrames, the checkpointer asks the writer to run one PASSIVE
// checkpoint itself between two groups: nothing commits meanwhile, so it copies the rest (what
// the last background checkpoint missed), and the next commit starts the WAL over. Every commit
// waits for that pause, so the checkpointer leaves it little to do:
//   - SQLite syncs the database file only at the end of a checkpoint that copied the whole WAL,
//     which under steady load is only the writer's own: every page copied since the last wrap
//     would be written out in that one sync (20-24 ms of pause here). The checkpointer starts
//     the write-back of what it copied after each checkpoint, without waiting for it (where the
//     system has a call for that), and syncs the file itself before asking for a wrap. Syncing
//     after every checkpoint instead cost up to a tenth of the throughput: each sync made the
//     commits' WAL syncs wait.
//   - Before asking, it runs checkpoints back to back until one copies little, so the writer's
//     copy is of what a few groups wrote.
//
// BENCHMARKS.md has the pause and the tails before and after. Checkpoints do not touch what
// durability rests on: a commit is on disk once its WAL frames are synced.
const (
	// checkpointDelay lets frames accumulate after a commit before a checkpoint copies them. A
	// page written again within it (an index's busy leaves, the history's last page, an active
	// user's row) is copied once, so a longer delay writes fewer bytes per event; a much longer
	// one gained nothing more (BENCHMARKS.md has the delays compared).
	checkpointDelay = 200 * time.Millisecond
	// wrapWALFrames (256 MiB of 4 KiB pages) bounds the WAL under steady load.
	wrapWALFrames = 65536
	// wrapRemainderFrames: a checkpoint that copied at most this many frames (a few
	// milliseconds of commits) ends the catch-up before a wrap.
	wrapRemainderFrames = 256
	// catchUpRounds bounds the catch-up: a writer that outruns it (or a reader on an old
	// snapshot) gets its wrap anyway.
	catchUpRounds = 8
)

// checkpointer is the goroutine that keeps the WAL short.
type checkpointer struct {
	db      *sql.DB       // its own single connection
	file    *os.File      // the database file, written back after each checkpoint (nil: not opened)
	wake    chan struct{} // a commit happened (capacity 1: signals coalesce)
	stop    chan struct{}
	stopped chan struct{}
	// wrapFrames is wrapWALFrames (tests set less); wrap asks the writer for a checkpoint of
	// its own before its next group.
	wrapFrames int
	wrap       atomic.Bool
}

func newCheckpointer(db *sql.DB, path string) *checkpointer {
	// Opened once, for write-back, and closed only after SQLite's own connections (closeFile):
	// closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
	// included. nil when it cannot be opened: every sync is then SQLite's own, at the wrap.
	file, _ := os.Open(path)
	c := &checkpointer{db: db, file: file, wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
		wrapFrames: wrapWALFrames}
	go c.run()
	return c
}

// committed tells the checkpointer that the WAL grew; it never blocks the writer.
func (c *checkpointer) committed() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.stopped)
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			return
		}
		select {
		case <-time.After(checkpointDelay):
		case <-c.stop:
			return
		}
		// An error leaves the frames for the next round: a checkpoint that did not run loses
		// nothing.
		frames, copied, err := walCheckpoint(context.Background(), c.db)
		if err != nil {
			continue
		}
		if frames < c.wrapFrames {
			c.databaseFile(startWriteBack)
			continue
		}
		c.catchUp(copied)
		c.databaseFile((*os.File).Sync)
		c.wrap.Store(true)
	}
}

// catchUp runs checkpoints back to back, each copying what was committed during the one
// before, until one copied at most wrapRemainderFrames; copied is the WAL's frames already in
// the database file.
func (c *checkpointer) catchUp(copied int) {
	for range catchUpRounds {
		_, now, err := walCheckpoint(context.Background(), c.db)
		if err != nil || now-copied <= wrapRemainderFrames {
			return
		}
		copied = now
	}
}

// databaseFile runs write-back (a sync, or starting one) on the database file, off the writer
// (see the comment at the top). A failure leaves the work to the wrap's own sync.
func (c *checkpointer) databaseFile(writeBack func(*os.File) error) {
	if c.file != nil {
		_ = writeBack(c.file)
	}
}

// wrapIfAsked runs on the writer between groups: when the WAL has grown past wrapWALFrames, a
// checkpoint that copies the rest of it, so the next commit starts the WAL over. It reports
// whether it ran one.
func (c *checkpointer) wrapIfAsked(write *sql.Conn) bool {
	if !c.wrap.Swap(false) {
		return false
	}
	// A reader on an old snapshot can keep it from copying everything; the next background
	// checkpoint then asks again.
	_, _, _ = walCheckpoint(context.Background(), write)
	return true
}

// close stops the goroutine; the last connection to close checkpoints what is left.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.stopped
	return c.db.Close()
}

// closeFile closes the database file opened for write-back; the store calls it after every
// SQLite connection to the file is closed (see newCheckpointer).
func (c *checkpointer) closeFile() {
	if c.file != nil {
		_ = c.file.Close()
	}
}

// walCheckpoint runs one PASSIVE checkpoint and returns the WAL's length in frames and how
// many of them are in the database file now.
func walCheckpoint(ctx context.Context, db querier) (frames, copied int, err error) {
	var busy int
	err = db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	return frames, copied, err
}
