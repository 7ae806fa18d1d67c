package sqlite

import (
	"context"
	"database/sql"
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
// the last background checkpoint missed), and the next commit starts the WAL over. That pause
// is why the bound is large: a small bound made it frequent enough to move the p99
// (BENCHMARKS.md has the pause and the bounds tried). Checkpoints do not touch what durability
// rests on: a commit is on disk once its WAL frames are synced.
const (
	// checkpointDelay lets frames accumulate after a commit before a checkpoint copies them. A
	// page written again within it (an index's busy leaves, the history's last page, an active
	// user's row) is copied once, so a longer delay writes fewer bytes per event; a much longer
	// one gained nothing more (BENCHMARKS.md has the delays compared).
	checkpointDelay = 200 * time.Millisecond
	// wrapWALFrames (256 MiB of 4 KiB pages) bounds the WAL under steady load.
	wrapWALFrames = 65536
)

// checkpointer is the goroutine that keeps the WAL short.
type checkpointer struct {
	db      *sql.DB       // its own single connection
	wake    chan struct{} // a commit happened (capacity 1: signals coalesce)
	stop    chan struct{}
	stopped chan struct{}
	// wrapFrames is wrapWALFrames (tests set less); wrap asks the writer for a checkpoint of
	// its own before its next group.
	wrapFrames int
	wrap       atomic.Bool
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
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
		if frames, err := walCheckpoint(context.Background(), c.db); err == nil && frames >= c.wrapFrames {
			c.wrap.Store(true)
		}
	}
}

// wrapIfAsked runs on the writer between groups: when the WAL has grown past wrapWALFrames, a
// checkpoint that copies the rest of it, so the next commit starts the WAL over.
func (c *checkpointer) wrapIfAsked(write *sql.Conn) {
	if c.wrap.Swap(false) {
		// A reader on an old snapshot can keep it from copying everything; the next
		// background checkpoint then asks again.
		_, _ = walCheckpoint(context.Background(), write)
	}
}

// close stops the goroutine; the last connection to close checkpoints what is left.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.stopped
	return c.db.Close()
}

// walCheckpoint runs one PASSIVE checkpoint and returns the WAL's length in frames.
func walCheckpoint(ctx context.Context, db querier) (int, error) {
	var busy, frames, copied int
	err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	return frames, err
}
