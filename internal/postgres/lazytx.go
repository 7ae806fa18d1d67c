package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// conn is what a pgTx sends its statements through: a pgx transaction (UpdateAll) or a
// lazyTx (Update).
type conn interface {
	querier
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, rows pgx.CopyFromSource) (int64, error)
}

// lazyTx is a transaction on one connection whose BEGIN goes out with its first statement, in
// one pipeline: a unit of work that runs one statement then takes two round trips, the statement
// and COMMIT, instead of three. A unit that runs no statement sends nothing at all, and one whose
// first statement is its conditional write (an event computed ahead) takes one (writeAlone).
type lazyTx struct {
	// acquire takes the unit's connection of the pool, on its first statement that needs one: a
	// unit whose only statement goes to the shared committer holds none while it waits.
	acquire func(context.Context) (*pgxpool.Conn, error)
	pooled  *pgxpool.Conn
	conn    *pgx.Conn
	// shared commits a unit's writeAlone together with the other units' (shared.go).
	shared *sharedCommitter
	begun  bool
	// over is set once a write committed alone (writeAlone): the unit has nothing left to run.
	over bool
}

var _ conn = (*lazyTx)(nil)

// connection returns the unit's connection, taking it from the pool on first use.
func (t *lazyTx) connection(ctx context.Context) (*pgx.Conn, error) {
	if t.conn == nil {
		c, err := t.acquire(ctx)
		if err != nil {
			return nil, err
		}
		t.pooled, t.conn = c, c.Conn()
	}
	return t.conn, nil
}

// release gives the connection back to the pool, if the unit took one. A connection released
// inside a transaction (a rollback that failed) is closed by the pool, not reused.
func (t *lazyTx) release() {
	if t.pooled != nil {
		t.pooled.Release()
		t.pooled, t.conn = nil, nil
	}
}

// errCommitRolledBack is a COMMIT that PostgreSQL answered with ROLLBACK: a statement of the
// transaction had failed, so nothing of it was stored.
var errCommitRolledBack = errors.New("postgres: commit rolled back: a statement of the transaction failed")

// errUnitOver is a statement after the write that ended its unit (writeAlone).
var errUnitOver = errors.New("postgres: a statement after the unit's write committed")

// writeAlone runs a conditional write (WriteUserIf's one statement, which returns 1 when it
// wrote and 0 when it did not) as the unit's first statement: with no BEGIN, PostgreSQL runs it
// outside any transaction of the unit's and commits it before answering, so the write is durable
// in one round trip, shared with the other units' writes waiting then (shared.go; key is the
// user's, which orders them). A unit whose write went through ends there (vigil.Tx's
// WriteUserIf says so); one whose write did not wrote nothing and goes on, its next statement
// beginning a transaction.
func (t *lazyTx) writeAlone(ctx context.Context, key, sql string, args []any) (bool, error) {
	changed, err := t.shared.write(ctx, key, sql, args)
	if err != nil {
		return false, err
	}
	t.over = changed == 1
	return t.over, nil
}

// begin starts the transaction on its own round trip, for the statements that do not pipeline
// it.
func (t *lazyTx) begin(ctx context.Context) error {
	if t.over {
		return errUnitOver
	}
	if t.begun {
		return nil
	}
	conn, err := t.connection(ctx)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		return err
	}
	t.begun = true
	return nil
}

// withBegin sends BEGIN and a statement in one batch and returns the batch, positioned at the
// statement's result.
func (t *lazyTx) withBegin(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	if t.over {
		return nil, errUnitOver
	}
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(sql, args...)
	conn, err := t.connection(ctx)
	if err != nil {
		return nil, err
	}
	results := conn.SendBatch(ctx, b)
	if _, err := results.Exec(); err != nil {
		results.Close()
		return nil, err
	}
	t.begun = true
	return results, nil
}

// Exec runs a statement that returns no rows.
func (t *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.begun {
		return t.conn.Exec(ctx, sql, args...)
	}
	results, err := t.withBegin(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := results.Exec()
	if closeErr := results.Close(); err == nil {
		err = closeErr // a failed statement's error comes back from Close again: report it once
	}
	return tag, err
}

// QueryRow runs a query of at most one row; the row is read when it is scanned.
func (t *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.begun {
		return t.conn.QueryRow(ctx, sql, args...)
	}
	results, err := t.withBegin(ctx, sql, args)
	if err != nil {
		return errRow{err}
	}
	return batchRow{row: results.QueryRow(), results: results}
}

// Query runs a query; reads of many rows are rare in a write, so BEGIN goes on its own.
func (t *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	return t.conn.Query(ctx, sql, args...)
}

// SendBatch sends a batch, after BEGIN on its own round trip if none went yet (a unit's first
// statement is seldom a batch).
func (t *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := t.begin(ctx); err != nil {
		return failedBatch{err}
	}
	return t.conn.SendBatch(ctx, b)
}

// CopyFrom copies rows in, after BEGIN on its own round trip (COPY does not pipeline).
func (t *lazyTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, rows pgx.CopyFromSource) (int64, error) {
	if err := t.begin(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, columns, rows)
}

// commit ends the transaction; PostgreSQL answers COMMIT with ROLLBACK when a statement of it
// had failed.
func (t *lazyTx) commit(ctx context.Context) error {
	if !t.begun {
		return nil
	}
	tag, err := t.conn.Exec(ctx, "COMMIT")
	if err != nil {
		return err
	}
	if tag.String() == "ROLLBACK" {
		return errCommitRolledBack
	}
	return nil
}

// rollback ends the transaction without storing it. A failed rollback leaves the connection in
// a transaction, and the pool then closes it rather than reuse it.
func (t *lazyTx) rollback(ctx context.Context) {
	if t.begun {
		_, _ = t.conn.Exec(ctx, "ROLLBACK")
	}
}

// batchRow is the row of a query pipelined after BEGIN: scanning it reads it and closes the
// batch.
type batchRow struct {
	row     pgx.Row
	results pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if closeErr := r.results.Close(); err == nil {
		err = closeErr
	}
	return err
}

// errRow is a row whose query failed before it ran.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// failedBatch is a batch that could not be sent: every result is that failure.
type failedBatch struct{ err error }

func (b failedBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b failedBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b failedBatch) QueryRow() pgx.Row                { return errRow(b) }
func (b failedBatch) Close() error                     { return b.err }
func (b failedBatch) Tx() pgx.Tx                       { return nil }
