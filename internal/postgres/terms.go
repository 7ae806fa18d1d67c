package postgres

import (
	"context"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// The term index (user_terms, the search's) is kept up to date in batches, as on SQLite: each
// changed state, KYC status, tag or rule hit moved a user's rows between terms in the event's own
// transaction, a deleted and an inserted row (in two indexes) per changed term, and most of an
// event's WAL was index entries (BENCHMARKS.md). A write that changes a user's terms now upserts
// one row of user_terms_pending: the terms the index holds for the user (kept from the first such
// write) and its terms now; a batch moves many users' index rows at once and deletes their rows.
//
// Concurrency: a batch locks the pending rows it applies (FOR UPDATE) and nothing else. A writer
// whose upsert meets a locked row waits for the batch; the batch deleted the row, so the writer
// inserts a new one whose indexed terms are its user's terms before it, which the batch has just
// indexed (the user's row lock orders a user's writes). The indexer of every process skips rows
// another batch holds (SKIP LOCKED); a search's catch-up waits for them, since they may hold
// writes acknowledged before it.
const (
	// termsInterval is how often a process's indexer applies what is pending, by default
	// (Limits.TermsInterval).
	termsInterval = 2 * time.Second
	// termsBatch is the most users one indexer transaction applies.
	termsBatch = 64
	// termsCatchUpBatch is a search's transaction: larger, since the search waits for them all.
	termsCatchUpBatch = 256
)

const (
	qPendingTerms = `SELECT tenant_id, uid, created_at, indexed, terms FROM user_terms_pending
		ORDER BY tenant_id, uid LIMIT $1 FOR UPDATE`
	qAnyPendingTerms   = `SELECT EXISTS (SELECT 1 FROM user_terms_pending)`
	qCountPendingTerms = `SELECT count(*) FROM user_terms_pending`
	// The index rows of the users applied, as parallel arrays.
	qDeleteTerms = `DELETE FROM user_terms t USING unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS d(tenant_id, term, created_at, uid)
		WHERE t.tenant_id = d.tenant_id AND t.term = d.term AND t.created_at = d.created_at AND t.uid = d.uid`
	qInsertTerms = `INSERT INTO user_terms (tenant_id, term, created_at, uid)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) ON CONFLICT DO NOTHING`
	qUnqueueTerms = `DELETE FROM user_terms_pending p USING unnest($1::text[], $2::text[]) AS d(tenant_id, uid)
		WHERE p.tenant_id = d.tenant_id AND p.uid = d.uid`
)

// termRows are index rows as the parallel arrays of qDeleteTerms and qInsertTerms.
type termRows struct {
	tenantIDs, terms, uids []string
	createdAts             []int64
}

func (r *termRows) add(tenantID, term string, createdAt int64, uid string) {
	r.tenantIDs, r.terms = append(r.tenantIDs, tenantID), append(r.terms, term)
	r.createdAts, r.uids = append(r.createdAts, createdAt), append(r.uids, uid)
}

func (r *termRows) args() []any { return []any{r.tenantIDs, r.terms, r.createdAts, r.uids} }

// applyPendingTerms applies at most limit pending users in one transaction and returns how many
// it applied. skipLocked leaves the rows another batch holds. It runs as a unit of Update, which
// runs it again when PostgreSQL aborts it (a catch-up waits for the pending rows others hold, so
// a batch of writes that holds some and waits for one the catch-up holds is a deadlock).
func (s *Store) applyPendingTerms(ctx context.Context, limit int, skipLocked bool) (int, error) {
	var n int
	err := s.Update(ctx, func(tx vigil.Tx) error {
		var err error
		n, err = tx.(*pgTx).applyPending(ctx, limit, skipLocked)
		return err
	})
	return n, err
}

// applyPending is applyPendingTerms in the unit's transaction.
func (t *pgTx) applyPending(ctx context.Context, limit int, skipLocked bool) (int, error) {
	query := qPendingTerms
	if skipLocked {
		query += ` SKIP LOCKED`
	}
	rows, err := t.tx.Query(ctx, query, limit)
	if err != nil {
		return 0, err
	}
	var removed, added termRows
	var tenants, uids []string
	for rows.Next() {
		var tenantID, uid, indexed, terms string
		var createdAt int64
		if err := rows.Scan(&tenantID, &uid, &createdAt, &indexed, &terms); err != nil {
			rows.Close()
			return 0, err
		}
		plus, minus := vigil.DiffTerms(vigil.SplitTerms(indexed), vigil.SplitTerms(terms))
		for _, term := range minus {
			removed.add(tenantID, term, createdAt, uid)
		}
		for _, term := range plus {
			added.add(tenantID, term, createdAt, uid)
		}
		tenants, uids = append(tenants, tenantID), append(uids, uid)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(uids) == 0 {
		return 0, err
	}
	for _, st := range []struct {
		sql  string
		rows termRows
	}{{qDeleteTerms, removed}, {qInsertTerms, added}} {
		if len(st.rows.uids) > 0 {
			if _, err := t.tx.Exec(ctx, st.sql, st.rows.args()...); err != nil {
				return 0, err
			}
		}
	}
	_, err = t.tx.Exec(ctx, qUnqueueTerms, tenants, uids)
	return len(uids), err
}

// catchUpTerms applies every pending user before a read of the term index: every write
// acknowledged before the call is then indexed.
func (s *Store) catchUpTerms(ctx context.Context) error {
	for {
		var pending bool
		if err := s.pool.QueryRow(ctx, qAnyPendingTerms).Scan(&pending); err != nil || !pending {
			return mapError(err)
		}
		n, err := s.applyPendingTerms(ctx, termsCatchUpBatch, false)
		if err != nil || n < termsCatchUpBatch {
			return err
		}
	}
}

// termBatches is the store's side of vigil.RunTermIndexer.
func (s *Store) termBatches() vigil.TermBatches {
	return vigil.TermBatches{
		Pending: func(ctx context.Context) (n int, err error) {
			err = s.pool.QueryRow(ctx, qCountPendingTerms).Scan(&n)
			return n, err
		},
		ApplyUnit: func(ctx context.Context) (int, bool, error) {
			n, err := s.applyPendingTerms(ctx, termsBatch, true)
			return n, n == termsBatch, err
		},
	}
}

// ObserveTerms sets who is told, each round of the term indexer, how many users wait for it
// (nil: none). It may be called while the store is in use.
func (s *Store) ObserveTerms(o vigil.TermIndexObserver) { s.terms.Observe(o) }
