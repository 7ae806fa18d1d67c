package sqlite

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// The term index (user_terms, the search's) is kept up to date in batches, off the events'
// commits. Each changed state, KYC status, tag or rule hit moves a user's row from one term's
// range to another's in the index (and, until migration 0055, in a by-user index): about half
// the pages an event's commit wrote, and a tenth of the writer's CPU (BENCHMARKS.md). So the first write since the
// last batch that changes a user's terms records, in user_terms_pending, the terms the index
// holds for the user (later writes touch nothing there: their terms are in users.terms), and a
// batch, one unit on the writer, moves many users' index rows to their users' terms at once:
// pages shared by users of the same terms are written once, and a user written several times
// between batches is indexed once.
//
// Searches and term counts first apply whatever is pending (catchUpTerms), so they see every
// write acknowledged before them, as they did when the index was written with each event. A
// crash leaves the pending rows in place, and the next batch applies them.
const (
	// termsInterval is how often the indexer applies what is pending by default
	// (Limits.TermsInterval): the longer, the more of a busy user's writes share one indexing.
	// Every 100 ms in units of 256 users gained less
	// than half as many events/s as every 500 ms in units of 64, and lengthened the tail at the
	// maximum by a quarter; every 2 s ran 12-35% ahead of every 500 ms, with a shorter tail
	// (BENCHMARKS.md). What is pending is at most the users written in the interval, and a
	// search under load pays for it: about 80 ms at the maximum against 45 ms.
	termsInterval = 2 * time.Second
	// termsBatch is the most users one unit indexes, about two milliseconds of the writer's time:
	// the indexer queues the next unit only when this one is done, so the writes queued
	// meanwhile wait for one unit at most.
	termsBatch = 64
	// termsCatchUpBatch is a search's unit: larger, since the search waits for all of them.
	termsCatchUpBatch = 256
	// termsUnitRows bounds the index rows one unit moves: a new user brings a dozen terms or
	// more, an event two or three, so a unit after a bulk creation holds fewer users and stays
	// a few milliseconds of the writer, as the events queued behind it need.
	termsUnitRows = 512
)

const (
	qQueueTerms = `INSERT INTO user_terms_pending (tenant_id, uid, created_at, indexed) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, uid) DO NOTHING`
	// A pending user's terms now are its row's; a user without a row has none.
	qPendingTerms = `SELECT p.tenant_id, p.uid, p.created_at, p.indexed, coalesce(u.terms, '')
		FROM user_terms_pending p LEFT JOIN users u ON u.tenant_id = p.tenant_id AND u.uid = p.uid LIMIT ?`
	qPendingTermsOf = `SELECT p.tenant_id, p.uid, p.created_at, p.indexed, coalesce(u.terms, '')
		FROM user_terms_pending p LEFT JOIN users u ON u.tenant_id = p.tenant_id AND u.uid = p.uid
		WHERE p.tenant_id = ? AND p.uid = ?`
	qUnqueueTerms = `DELETE FROM user_terms_pending WHERE tenant_id = ? AND uid = ?`
	qAnyPending   = `SELECT EXISTS (SELECT 1 FROM user_terms_pending)`
	qCountPending = `SELECT count(*) FROM user_terms_pending`
)

// writeTerms records that a write changed the user's terms, unless a write since the last batch
// already did: the terms the index holds for the user are the ones before the first such write.
// A busy user's later writes so leave the pending table's pages alone; the batch reads the terms
// now from the user's row, which was written moments before and so is in a cache.
func (t *sqlTx) writeTerms(ctx context.Context, u vigil.UserRecord) error {
	if len(u.TermsAdded) == 0 && len(u.TermsRemoved) == 0 {
		return nil
	}
	_, err := t.q().ExecContext(ctx, qQueueTerms, u.TenantID, u.UID, u.CreatedAt, vigil.TermsBefore(u))
	return err
}

// termRow is one row of the term index.
type termRow struct {
	tenantID, term, uid string
	createdAt           int64
}

func compareTermRows(a, b termRow) int {
	return cmp.Or(strings.Compare(a.tenantID, b.tenantID), strings.Compare(a.term, b.term),
		cmp.Compare(a.createdAt, b.createdAt), strings.Compare(a.uid, b.uid))
}

// pendingUser is a user whose index rows (indexed) are behind its terms (actual): the index
// lacks added and has removed.
type pendingUser struct {
	tenantID, uid   string
	createdAt       int64
	indexed, actual string
	added, removed  []string
}

// applyPendingTerms indexes at most limit pending users and returns how many it did, and whether
// more may be pending.
func (t *sqlTx) applyPendingTerms(ctx context.Context, limit int) (int, bool, error) {
	return t.applyPending(ctx, limit, qPendingTerms, limit)
}

// applyPendingTermsOf indexes one user if it is pending: erasure deletes the user's index rows
// by its terms, which must be the ones the index holds.
func (t *sqlTx) applyPendingTermsOf(ctx context.Context, tenantID, uid string) error {
	_, _, err := t.applyPending(ctx, 1, qPendingTermsOf, tenantID, uid)
	return err
}

// applyPending indexes the pending users query selects (at most limit), the first ones whose
// index rows to move fit in termsUnitRows (one at least). It returns how many it indexed, and
// whether more may be pending: it selected limit users, or left some of them for the next unit.
func (t *sqlTx) applyPending(ctx context.Context, limit int, query string, args ...any) (int, bool, error) {
	rows, err := t.q().QueryContext(ctx, query, args...)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	users, err := sqlrow.Collect(rows, func(r sqlrow.Rows) (p pendingUser, err error) {
		err = r.Scan(&p.tenantID, &p.uid, &p.createdAt, &p.indexed, &p.actual)
		return p, err
	})
	if err != nil {
		return 0, false, err
	}
	more, moves := len(users) == limit, 0
	for i, p := range users {
		p.added, p.removed = vigil.DiffTerms(vigil.SplitTerms(p.indexed), vigil.SplitTerms(p.actual))
		users[i] = p
		if moves += len(p.added) + len(p.removed); moves > termsUnitRows && i > 0 {
			users, more = users[:i], true
			break
		}
	}
	return len(users), more, t.indexUsers(ctx, users)
}

// indexUsers moves the users' index rows from their indexed terms to their actual ones, in the
// index's order so that neighbouring rows share their pages' visits, and unqueues them.
func (t *sqlTx) indexUsers(ctx context.Context, users []pendingUser) error {
	var removed, added []termRow
	for _, p := range users {
		for _, term := range p.added {
			added = append(added, termRow{tenantID: p.tenantID, term: term, createdAt: p.createdAt, uid: p.uid})
		}
		for _, term := range p.removed {
			removed = append(removed, termRow{tenantID: p.tenantID, term: term, createdAt: p.createdAt, uid: p.uid})
		}
	}
	slices.SortFunc(removed, compareTermRows)
	slices.SortFunc(added, compareTermRows)
	for _, r := range removed {
		if _, err := t.q().ExecContext(ctx, qDeleteTerm, r.tenantID, r.term, r.createdAt, r.uid); err != nil {
			return err
		}
	}
	for _, r := range added {
		if _, err := t.q().ExecContext(ctx, qInsertTerm, r.tenantID, r.term, r.createdAt, r.uid); err != nil {
			return err
		}
	}
	for _, p := range users {
		if _, err := t.q().ExecContext(ctx, qUnqueueTerms, p.tenantID, p.uid); err != nil {
			return err
		}
	}
	return nil
}

// indexTerms applies one batch of at most limit pending users on the writer and returns how
// many it indexed, and whether more may be pending.
func (s *Store) indexTerms(ctx context.Context, limit int) (n int, more bool, err error) {
	err = s.Update(ctx, func(tx vigil.Tx) error {
		var err error
		n, more, err = tx.(*sqlTx).applyPendingTerms(ctx, limit)
		return err
	})
	return n, more, err
}

// termsPending reports whether any user's index rows are behind its terms.
func (s *Store) termsPending(ctx context.Context) (bool, error) {
	var pending bool
	err := s.reads().QueryRowContext(ctx, qAnyPending).Scan(&pending)
	return pending, err
}

// catchUpTerms applies every pending user before a read of the term index, in units until one
// finds fewer than it could take: each unit holds the writes committed before it, so every write
// acknowledged before the call is then indexed.
func (s *Store) catchUpTerms(ctx context.Context) error {
	for {
		pending, err := s.termsPending(ctx)
		if err != nil || !pending {
			return err
		}
		_, more, err := s.indexTerms(ctx, termsCatchUpBatch)
		if err != nil || !more {
			return err
		}
	}
}

// termBatches is the store's side of vigil.RunTermIndexer.
func (s *Store) termBatches() vigil.TermBatches {
	return vigil.TermBatches{
		Pending: func(ctx context.Context) (n int, err error) {
			err = s.reads().QueryRowContext(ctx, qCountPending).Scan(&n)
			return n, err
		},
		ApplyUnit: func(ctx context.Context) (int, bool, error) { return s.indexTerms(ctx, termsBatch) },
	}
}

// ObserveTerms sets who is told, each round of the term indexer, how many users wait for it
// (nil: none). It may be called while the store is in use.
func (s *Store) ObserveTerms(o vigil.TermIndexObserver) { s.terms.Observe(o) }
