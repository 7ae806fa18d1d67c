package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
)

// Statement preparation cost as much as the rest of a write, so the hot statements are prepared
// once: the writer's on its connection when the store opens, the readers' on first use.

// writerStatements are prepared on the writer connection at Open.
var writerStatements = []string{qReadUser, qLatestResponse, qReadEvent, qInsertUser, qUpdateUser, qUpdateUserIf, qInsertEntry,
	qInsertTerm, qDeleteTerm, qQueueTerms, qUnqueueTerms, qPendingTerms, qInsertDelivery, qInsertAudit, qInsertSealedAudit, qUnqueueAudit, qChainHead, qChainUnsealed, qChainStore, qEntries, qConfigVersion, qBegin, qCommit, qRollback, qSavepoint, qRelease, qRollbackTo}

func prepareWriter(ctx context.Context, conn *sql.Conn) (map[string]*sql.Stmt, error) {
	out := make(map[string]*sql.Stmt, len(writerStatements)+len(qAddRuleHit))
	for _, q := range slices.Concat(writerStatements, qAddRuleHit[:]) {
		st, err := conn.PrepareContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("sqlite: prepare: %w", err)
		}
		out[q] = st
	}
	return out, nil
}

// txQueries runs queries on the writer's connection, in the transaction the writer opened on it,
// through prepared statements when the query is one of them.
type txQueries struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

// writerContext is the context of every statement on the writer's connection, whatever the
// caller's: once the writer takes a unit it runs it to its end (Update waits for the outcome even
// if the caller's context ends), so a statement has nothing to stop for, and a statement
// stopped halfway would only fail the unit and rerun its group. A context that can end also
// costs the driver a goroutine and two progress-handler calls per statement, all of it in the
// single writer (BENCHMARKS.md has the share of the CPU).
var writerContext = context.Background()

// ExecContext runs query in the writer's transaction; the caller's context is not watched.
func (q txQueries) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := q.stmts[query]; ok {
		return st.ExecContext(writerContext, args...)
	}
	return q.conn.ExecContext(writerContext, query, args...)
}

// QueryRowContext runs query in the writer's transaction; the caller's context is not watched.
func (q txQueries) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	if st, ok := q.stmts[query]; ok {
		return st.QueryRowContext(writerContext, args...)
	}
	return q.conn.QueryRowContext(writerContext, query, args...)
}

// QueryContext runs query in the writer's transaction; the caller's context is not watched.
func (q txQueries) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := q.stmts[query]; ok {
		return st.QueryContext(writerContext, args...)
	}
	return q.conn.QueryContext(writerContext, query, args...)
}

// readQueries runs queries on the read pool through statements prepared on first use.
type readQueries struct {
	db    *sql.DB
	stmts *sync.Map
}

func (q readQueries) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := q.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := q.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prior, loaded := q.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prior.(*sql.Stmt), nil
	}
	return st, nil
}

func (q readQueries) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return q.db.QueryRowContext(ctx, query, args...) // reports the same error on Scan
	}
	return st.QueryRowContext(ctx, args...)
}

func (q readQueries) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}
