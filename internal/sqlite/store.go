// Package sqlite is Vigil's embedded Store on SQLite (modernc.org/sqlite, pure Go) in WAL mode
// with synchronous=FULL, so a committed write survives a crash or power loss.
//
// One goroutine owns the only write connection. Concurrent Update calls queue up and the writer
// runs every waiting unit in one transaction, each as if alone (a failed unit leaves no trace:
// see "Savepoints"), then commits once: many requests share one fsync (group commit) and
// per-user writes are serialised for free.
// Reads use a separate pool and never wait for the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
	driver "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxGroup bounds how many units share one transaction.
const maxGroup = 256

// Store implements vigil.Store on one SQLite file.
type Store struct {
	read  *sql.DB
	write *sql.DB
	// writer is write's one connection, held by the writer goroutine for the store's life: its
	// transactions are statements prepared on it (BEGIN IMMEDIATE ... COMMIT), and so are the hot
	// queries, which then run without database/sql's per-transaction statement rebinding.
	writer *sql.Conn
	queue  chan *unit
	done   chan struct{}
	limits Limits
	// pending counts the units admitted and not yet taken off the queue by the writer.
	pending atomic.Int64
	// closing tells the writer to refuse the units still queued (Close).
	closing atomic.Bool
	// writeStmts are prepared on the writer connection; readStmts on first use (prepared.go).
	writeStmts  map[string]*sql.Stmt
	readStmts   sync.Map
	checkpoints *checkpointer
	observer    atomic.Pointer[observerBox] // ObserveWriter
	// guardedGroups counts the groups still to run with a savepoint per unit after a unit
	// failed in a group without them (only the writer goroutine uses it).
	guardedGroups int

	terms *vigil.TermIndexer // terms.go

	// writerPriority is why the writer's thread did not get Limits.WriterNice (nil: it did).
	writerPriority error

	mu     sync.RWMutex
	closed bool
}

type unit struct {
	ctx    context.Context
	fn     func(vigil.Tx) error
	result chan error
	// state decides, once, between the writer taking the unit and its caller giving up on it:
	// a unit runs only if taken, and a caller returns early only if it abandoned the unit, so
	// no unit commits after its caller was answered that it did not.
	state atomic.Int32
}

// The states of a unit.
const (
	unitQueued int32 = iota
	unitTaken
	unitAbandoned
)

// take marks the unit as the writer's; false if its caller abandoned it. A unit taken once
// stays taken (a group may run twice: see "Savepoints").
func (u *unit) take() bool {
	return u.state.CompareAndSwap(unitQueued, unitTaken) || u.state.Load() == unitTaken
}

// abandon gives up on a unit the writer has not taken; false if it already has.
func (u *unit) abandon() bool { return u.state.CompareAndSwap(unitQueued, unitAbandoned) }

var _ vigil.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path and applies migrations, with the
// default Limits.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Limits{})
}

// OpenWith is Open with limits on the writer's queue.
func OpenWith(ctx context.Context, path string, limits Limits) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	syncDataOnly()
	params := url.Values{}
	// An 8 MiB page cache per connection. A larger one saves some reads, but SQLite scans the
	// cache's whole hash table at the end of every write transaction (pcache1TruncateUnsafe),
	// so its cost grows with the cache, and the operating system caches the file anyway. The
	// scan comes from B-tree balancing: it swaps two pages' numbers through the lock-byte
	// page's (262,145 with 4 KiB pages), which raises the cache's highest page number past the
	// end of the file, and the commit then truncates the cache back to the file's size. Below
	// 1 GiB of database that is a scan of the whole cache each commit that split a page.
	// BENCHMARKS.md has the sizes measured.
	// secure_delete zeroes what a delete or an update frees, so an erased user's data, and the
	// earlier versions of every row, do not linger in the file's free space (erasure.go).
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)",
		"cache_size(-8192)", "secure_delete(ON)"} {
		params.Add("_pragma", p)
	}
	params.Set("_txlock", "immediate")
	// Without the WAL's combined writes (walvfs.go) SQLite is only slower.
	if registerWALVFS() == nil {
		params.Set("vfs", walVFSName)
	}
	dsn := "file:" + path + "?" + params.Encode()
	// The writer never checkpoints on its own: the checkpointer does (checkpoint.go).
	params.Add("_pragma", "wal_autocheckpoint(0)")
	write, err := sql.Open("sqlite", "file:"+path+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	writer, err := write.Conn(ctx)
	if err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	stmts, err := prepareWriter(ctx, writer)
	if err != nil {
		writer.Close()
		read.Close()
		write.Close()
		return nil, err
	}
	ckpt, err := sql.Open("sqlite", dsn)
	if err != nil {
		writer.Close()
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	s := &Store{read: read, write: write, writer: writer, queue: make(chan *unit, maxGroup), done: make(chan struct{}), writeStmts: stmts,
		checkpoints: newCheckpointer(ckpt, path), limits: limits.withDefaults()}
	priority := make(chan error, 1)
	go s.run(priority)
	s.writerPriority = <-priority
	s.terms = vigil.StartTermIndexer(s.termBatches(), s.limits.TermsInterval)
	return s, nil
}

// syncDataOnly makes SQLite commit with fdatasync(2) rather than fsync(2), process-wide, as the
// builds of SQLite for Linux do (modernc's transpiled library keeps the source's default, fsync).
// A commit is as durable either way: fdatasync writes the data and whatever metadata reading it
// back needs, the file's size included; it skips only the timestamps, which on ext4 cost a
// journal commit per sync. At the maximum it gave 6-9% more events/s (BENCHMARKS.md). Where the
// call is unavailable (macOS, Windows), SQLite keeps its own sync.
func syncDataOnly() {
	enableFdatasync.Do(func() { _, _ = driver.Fdatasync(true) })
}

var enableFdatasync sync.Once

func migrate(ctx context.Context, db *sql.DB) error { return migrateTo(ctx, db, math.MaxInt) }

// migrateTo applies the migrations up to version last (tests start from an older schema).
func migrateTo(ctx context.Context, db *sql.DB, last int) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		base := strings.TrimPrefix(f, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: name must start with a number", f)
		}
		if version > last {
			break
		}
		if err := applyMigration(ctx, db, version, f); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, file string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migration %d: %w", version, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: migration %d: %w", version, err)
	}
	if n > 0 {
		return nil
	}
	script, err := migrations.ReadFile(file)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(script)); err != nil {
		return fmt.Errorf("sqlite: migration %d: %w", version, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("sqlite: migration %d: %w", version, err)
	}
	return tx.Commit()
}

// Update queues fn for the writer and waits until its transaction has committed (or failed).
// A full queue, or a unit the writer did not take within Limits.MaxWait, is refused with
// vigil.ErrOverloaded; a unit whose ctx ends before the writer took it does not run.
func (s *Store) Update(ctx context.Context, fn func(vigil.Tx) error) error {
	if !s.admit(1) {
		return s.queueFull()
	}
	u := &unit{ctx: ctx, fn: fn, result: make(chan error, 1)}
	if err := s.enqueue(ctx, []*unit{u}); err != nil {
		return err
	}
	wait := time.NewTimer(s.limits.MaxWait)
	defer wait.Stop()
	select {
	case err := <-u.result:
		return err
	case <-wait.C:
		if u.abandon() {
			return fmt.Errorf("sqlite: the writer did not take the unit within %s: %w", s.limits.MaxWait, vigil.ErrOverloaded)
		}
	case <-ctx.Done():
		if u.abandon() {
			return ctx.Err()
		}
	}
	// The writer took the unit: it may already be committed, so its outcome is the answer.
	return <-u.result
}

// UpdateAll queues every fn to the writer at once and waits for all of them. The writer takes
// units in queue order, so fns apply in order, sharing commits (up to maxGroup per commit) with
// each other and with concurrent requests. The queue admits all of them or none (then
// vigil.ErrOverloaded); once admitted they are not refused for waiting, since the queue's bound
// already bounds the wait, but one whose ctx ended before the writer took it does not run.
func (s *Store) UpdateAll(ctx context.Context, fns []func(vigil.Tx) error) ([]error, error) {
	if !s.admit(len(fns)) {
		return nil, s.queueFull()
	}
	units := make([]*unit, len(fns))
	for i, fn := range fns {
		units[i] = &unit{ctx: ctx, fn: fn, result: make(chan error, 1)}
	}
	if err := s.enqueue(ctx, units); err != nil {
		return nil, err
	}
	errs := make([]error, len(fns))
	for i, u := range units {
		errs[i] = <-u.result
	}
	return errs, nil
}

// admit counts n more units into the queue, or reports that they do not fit. A batch larger
// than the whole queue fits only into an empty one.
func (s *Store) admit(n int) bool {
	for {
		p := s.pending.Load()
		if p > 0 && p+int64(n) > int64(s.limits.MaxQueue) {
			return false
		}
		if s.pending.CompareAndSwap(p, p+int64(n)) {
			return true
		}
	}
}

func (s *Store) queueFull() error {
	return fmt.Errorf("sqlite: the write queue is full (%d units): %w", s.limits.MaxQueue, vigil.ErrOverloaded)
}

// enqueue hands admitted units to the writer. When it cannot queue them all (the store closed,
// ctx ended while the channel was full), the ones queued are abandoned, or waited for if the
// writer already took them, so that none is reported unapplied.
func (s *Store) enqueue(ctx context.Context, units []*unit) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var err error
	queued := 0
	if s.closed {
		err = errClosed
	}
	for ; err == nil && queued < len(units); queued++ {
		select {
		case s.queue <- units[queued]:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if err == nil {
		return nil
	}
	if err != errClosed {
		queued-- // the loop counted the unit ctx interrupted
	}
	s.pending.Add(-int64(len(units) - queued))
	for _, u := range units[:queued] {
		if !u.abandon() {
			<-u.result
		}
	}
	return err
}

var errClosed = fmt.Errorf("sqlite: store is closed: %w", vigil.ErrOverloaded)

// run is the writer: it takes every unit waiting, runs them in one transaction and commits. It
// first asks for Limits.WriterNice for its thread and sends the outcome on priority.
func (s *Store) run(priority chan<- error) {
	defer close(s.done)
	var err error
	if s.limits.WriterNice != 0 {
		var restore func()
		if restore, err = raiseThreadPriority(s.limits.WriterNice); err == nil {
			defer restore()
		}
	}
	priority <- err
	for u := range s.queue {
		group := []*unit{u}
	drain:
		for len(group) < maxGroup {
			select {
			case next, ok := <-s.queue:
				if !ok {
					break drain
				}
				group = append(group, next)
			default:
				break drain
			}
		}
		s.pending.Add(-int64(len(group)))
		if s.closing.Load() {
			// Shutting down: what is still queued is refused, not run, so Close waits at most
			// for the group in progress.
			for _, u := range group {
				if u.abandon() {
					u.result <- errClosed
				}
			}
			continue
		}
		obs := s.observer.Load()
		began := time.Now()
		if s.checkpoints.wrapIfAsked(s.writer) && obs != nil {
			obs.WALWrapped(time.Since(began))
			began = time.Now()
		}
		s.commit(group)
		if obs != nil {
			obs.WriterGroup(len(group), time.Since(began))
		}
		s.checkpoints.committed()
	}
}

// Savepoints. Each unit of a group runs as if alone: a failed one leaves no trace and the others
// commit. Savepoints give that, but SAVEPOINT and RELEASE around every unit cost a measurable share
// of an event's work (BENCHMARKS.md), on the writer that every write waits for, while units seldom
// fail. So a group runs without them, and when one of its units fails, its transaction is rolled
// back and the group runs again with them: the units before the failed one run twice (every unit is
// written to run again from the start, as Service.write's retries already require). Failures come
// together (a batch's records for missing users, a client replaying its events), so the next
// savepointCooldown groups go straight to savepoints. A group of one unit needs none: its rollback
// is the unit's.
const savepointCooldown = 16

// errAbandoned is the result of a unit its caller gave up on before the writer took it (no
// one reads it).
var errAbandoned = errors.New("sqlite: unit abandoned by its caller")

// errUnitFailed ends a group run without savepoints at its first failed unit.
var errUnitFailed = errors.New("sqlite: a unit failed in a group without savepoints")

func (s *Store) commit(group []*unit) {
	results := make([]error, len(group))
	guarded := s.guardedGroups > 0
	if guarded {
		s.guardedGroups--
	}
	err := s.runGroup(group, results, guarded)
	if errors.Is(err, errUnitFailed) {
		if len(group) == 1 {
			err = nil // rolled back: the unit's own error is its result
		} else {
			s.guardedGroups = savepointCooldown
			clear(results)
			err = s.runGroup(group, results, true)
		}
	}
	for i, u := range group {
		if results[i] == nil && err != nil {
			results[i] = fmt.Errorf("sqlite: commit: %w", err)
		}
		u.result <- results[i]
	}
}

// A group is one transaction; see "Savepoints" above for its units. IMMEDIATE takes the write
// lock at once (another process may hold it: the connection's busy_timeout waits for it).
const (
	qBegin      = `BEGIN IMMEDIATE`
	qCommit     = `COMMIT`
	qRollback   = `ROLLBACK`
	qSavepoint  = `SAVEPOINT unit`
	qRelease    = `RELEASE unit`
	qRollbackTo = `ROLLBACK TO unit`
)

// runGroup runs a group's units in one transaction and commits it. With savepoints, a failed
// unit is rolled back alone; without, the first failure rolls back everything and returns
// errUnitFailed.
func (s *Store) runGroup(group []*unit, results []error, savepoints bool) (err error) {
	ctx := writerContext // what every statement on the writer runs with (prepared.go)
	q := txQueries{conn: s.writer, stmts: s.writeStmts}
	if _, err := q.ExecContext(ctx, qBegin); err != nil {
		return err
	}
	defer func() {
		// A failed COMMIT (SQLITE_BUSY, an I/O error) can leave the transaction open.
		if err != nil {
			_, _ = q.ExecContext(ctx, qRollback)
		}
	}()
	chain := newAuditChain()
	for i, u := range group {
		if !u.take() {
			results[i] = errAbandoned
			continue
		}
		if err := u.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if savepoints {
			if _, err := q.ExecContext(ctx, qSavepoint); err != nil {
				return err
			}
		}
		mark := chain.mark()
		results[i] = runUnit(u, &sqlTx{conn: s.writer, stmts: s.writeStmts, chain: chain})
		if !savepoints {
			if results[i] != nil {
				return errUnitFailed
			}
			continue
		}
		if results[i] != nil {
			if _, err := q.ExecContext(ctx, qRollbackTo); err != nil {
				return err
			}
			chain.rewind(mark)
		}
		if _, err := q.ExecContext(ctx, qRelease); err != nil {
			return err
		}
	}
	if err := chain.flush(q); err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, qCommit)
	return err
}

// runUnit runs one unit, turning a panic into that unit's error so the others still commit.
func runUnit(u *unit, tx *sqlTx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlite: unit panicked: %v", r)
		}
	}()
	return u.fn(tx)
}

func (s *Store) reads() readQueries { return readQueries{db: s.read, stmts: &s.readStmts} }

// WriterPriority is nil when the writer's thread runs at the nice value Limits.WriterNice
// asked for (or none was asked), else why it runs at the process's priority.
func (s *Store) WriterPriority() error { return s.writerPriority }

// closeWriterStatements finalizes the statements prepared on the writer's connection.
// database/sql leaves statements prepared on a *sql.Conn open when the connection closes, and
// SQLite keeps a connection with unfinalized statements alive: the writer then never really
// closed, so the last connection's checkpoint never ran and the WAL (up to 256 MiB) stayed
// beside the database, for the next open to read through.
func (s *Store) closeWriterStatements() error {
	var errs []error
	for _, st := range s.writeStmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// Close stops the term indexer (what is pending stays for the next open: terms.go), stops
// accepting writes, refuses the queued ones the writer has not taken (their callers get
// vigil.ErrOverloaded), waits for the group in progress and closes the database.
func (s *Store) Close() error {
	s.terms.Stop() // what is pending stays pending
	s.closing.Store(true)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.queue)
	s.mu.Unlock()
	<-s.done
	err := errors.Join(s.checkpoints.close(), s.read.Close(), s.closeWriterStatements(), s.writer.Close(), s.write.Close())
	s.checkpoints.closeFile()
	return err
}
