package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Shared commits. An event computed ahead ends in one conditional statement that commits alone
// (lazyTx.writeAlone): a round trip and a commit per event, and PostgreSQL's processes then took
// most of the machine's CPU, much of it switching between processes (BENCHMARKS.md). The shared
// committer sends the statements of all the events waiting at that moment in one pipeline,
// which PostgreSQL runs as one implicit transaction: one round trip and one commit for them all.
//
// Each statement is conditional on its user's version and changes only that user's rows, so
// after the others in one transaction it answers as it would alone: a second statement for the
// same user finds the version moved and reports 0, and its unit goes on in a transaction of its
// own, as when another process wrote first. The statements go in the order of their users' keys
// (their own order kept within a user), so that the pipelines of several processes lock rows in
// one order and do not deadlock each other. When a statement fails, PostgreSQL rolls the whole
// pipeline back: the failure (a replayed eventId meeting its unique index, say) is that
// statement's answer only, and the others go again in the next pipeline.
//
// One pipeline runs at a time, so a statement waiting for a lock would hold up the events of
// the process behind it: the term indexer's round holds the pending rows of the users it
// applies, a batch's transaction its users' rows, a unit its user's row. The committer's
// connection therefore waits at most sharedLockTimeout for a lock; a statement that times out
// wrote nothing and answers 0, as if its user had moved, and its unit goes on in a transaction
// of its own, which waits for the lock like any other.

// maxShared bounds the statements of one pipeline.
const maxShared = 64

// sharedLockTimeout is the committer connection's lock_timeout, in milliseconds.
const sharedLockTimeout = "5"

// sharedCommitter owns its connection (a pool of one, apart from the requests' pool, so that it
// never waits for a connection a waiting unit holds) and the goroutine sending the pipelines.
// One pipeline at a time: two, each on its own connection, ran 8-21% slower at the maximum,
// their pipelines half as long (BENCHMARKS.md).
type sharedCommitter struct {
	pool *pgxpool.Pool
	// queue is unbuffered: a write is the committer's only once it took it, so none is left
	// unanswered when it stops.
	queue     chan *sharedWrite
	stop      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
	// pipelines counts the pipelines of more than one statement sent (for tests).
	pipelines atomic.Int64
}

// sharedWrite is one unit's statement; key orders it among the others (its user's key).
type sharedWrite struct {
	key  string
	sql  string
	args []any
	done chan sharedResult
}

// sharedResult is a statement's answer: the count it returned, or its failure.
type sharedResult struct {
	changed int
	err     error
}

// errSharedClosed answers a write offered after the store closed.
var errSharedClosed = errors.New("postgres: the store is closed")

func newSharedCommitter(ctx context.Context, cfg *pgxpool.Config) (*sharedCommitter, error) {
	own := cfg.Copy()
	own.MinConns, own.MaxConns = 0, 1
	own.ConnConfig.RuntimeParams["lock_timeout"] = sharedLockTimeout
	pool, err := pgxpool.NewWithConfig(ctx, own)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	c := &sharedCommitter{pool: pool, queue: make(chan *sharedWrite), stop: make(chan struct{}), stopped: make(chan struct{})}
	go c.run()
	return c, nil
}

// write runs a conditional statement (one that returns one count) in the next pipeline and
// returns its count. Once the committer took it, it waits for the answer whatever ctx does: the
// statement may already be committed, and its unit must not be told otherwise.
func (c *sharedCommitter) write(ctx context.Context, key, sql string, args []any) (int, error) {
	w := &sharedWrite{key: key, sql: sql, args: args, done: make(chan sharedResult, 1)}
	select {
	case c.queue <- w:
	case <-c.stop:
		return 0, errSharedClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	r := <-w.done
	return r.changed, r.err
}

// run takes the writes waiting, up to maxShared, and commits them together, until close.
func (c *sharedCommitter) run() {
	defer close(c.stopped)
	for {
		var first *sharedWrite
		select {
		case first = <-c.queue:
		case <-c.stop:
			return
		}
		writes := []*sharedWrite{first}
	more:
		for len(writes) < maxShared {
			select {
			case w := <-c.queue:
				writes = append(writes, w)
			default:
				break more
			}
		}
		for i, r := range c.commit(writes) {
			writes[i].done <- r
		}
	}
}

// commit runs writes in one pipeline. When a statement fails, PostgreSQL rolls the pipeline
// back and skips the statements after it: that statement's failure is its own answer (0 for a
// lock it gave up on), and the others go again in the next pipeline. A commit that fails after
// every statement succeeded (the connection lost, say) leaves each to run alone. The statements
// run without the units' contexts: statement_timeout bounds them.
func (c *sharedCommitter) commit(writes []*sharedWrite) []sharedResult {
	ctx := context.Background()
	slices.SortStableFunc(writes, func(a, b *sharedWrite) int { return strings.Compare(a.key, b.key) })
	out := make([]sharedResult, len(writes))
	conn, err := c.pool.Acquire(ctx)
	if err != nil {
		for i := range out {
			out[i].err = err
		}
		return out
	}
	defer conn.Release()
	pending := make([]int, len(writes)) // indexes into writes, in order
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 1 {
		c.pipelines.Add(1)
		b := &pgx.Batch{}
		for _, i := range pending {
			b.Queue(writes[i].sql, writes[i].args...)
		}
		results := conn.SendBatch(ctx, b)
		failed, failure := -1, error(nil)
		for j, i := range pending {
			if err := results.QueryRow().Scan(&out[i].changed); err != nil && failed < 0 {
				failed, failure = j, err
			}
		}
		closeErr := results.Close()
		if failed < 0 {
			if closeErr == nil {
				return out
			}
			break
		}
		out[pending[failed]] = answer(0, failure)
		pending = slices.Delete(pending, failed, failed+1)
	}
	for _, i := range pending {
		var changed int
		err := conn.QueryRow(ctx, writes[i].sql, writes[i].args...).Scan(&changed)
		out[i] = answer(changed, err)
	}
	return out
}

// answer is a statement's result: a lock it gave up on (see sharedLockTimeout) answers 0, as
// if its user had moved.
func answer(changed int, err error) sharedResult {
	if isCode(err, "55P03") { // lock_not_available
		return sharedResult{}
	}
	return sharedResult{changed: changed, err: err}
}

// close stops the goroutine after the pipeline in flight and closes the connection.
func (c *sharedCommitter) close() {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.stopped
		c.pool.Close()
	})
}
