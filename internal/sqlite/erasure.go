package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// eraseStatements delete a user's data; each takes the tenant id and the user's uid. The
// database runs with secure_delete on, so the deleted cells and pages are zeroed.
var eraseStatements = []string{
	`DELETE FROM users WHERE tenant_id = ? AND uid = ?`,
	`DELETE FROM user_entries WHERE tenant_id = ? AND user_uid = ?`,
	`DELETE FROM batch_records WHERE tenant_id = ? AND user_uid = ?`,
	`DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE tenant_id = ? AND order_key = ?)`,
	`DELETE FROM webhook_deliveries WHERE tenant_id = ? AND order_key = ?`,
}

func (t *sqlTx) EraseUser(ctx context.Context, e vigil.Erasure) error {
	// The user's search terms hold its name and emails: they go with it, once the index holds
	// them all (terms.go).
	if err := t.applyPendingTermsOf(ctx, e.User.TenantID, e.User.UID); err != nil {
		return err
	}
	for _, term := range vigil.SplitTerms(e.User.Terms) {
		if _, err := t.q().ExecContext(ctx, qDeleteTerm, e.User.TenantID, term, e.User.CreatedAt, e.User.UID); err != nil {
			return err
		}
	}
	for _, q := range eraseStatements {
		if _, err := t.q().ExecContext(ctx, q, e.User.TenantID, e.User.UID); err != nil {
			return err
		}
	}
	// The user's screening searches hold its names, its cleared matches its id: they go too.
	for _, q := range []string{`DELETE FROM screening_searches WHERE tenant_id = ? AND user_id = ?`,
		`DELETE FROM screening_clearings WHERE tenant_id = ? AND user_id = ?`} {
		if _, err := t.q().ExecContext(ctx, q, e.User.TenantID, e.User.UserID); err != nil {
			return err
		}
	}
	// A user batch's answer names its failed records by userId.
	if _, err := t.q().ExecContext(ctx, `UPDATE batches SET response = CAST(replace(CAST(response AS TEXT), ?, ?) AS BLOB)
		WHERE tenant_id = ? AND instr(CAST(response AS TEXT), ?) > 0`, e.QuotedID, e.Redacted, e.User.TenantID, e.QuotedID); err != nil {
		return err
	}
	_, err := t.q().ExecContext(ctx, `INSERT INTO erased_users (tenant_id, user_key, erased_at) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, user_key) DO NOTHING`, e.User.TenantID, e.Key, e.At)
	return err
}

func (t *sqlTx) ErasedAt(ctx context.Context, tenantID, userID string) (int64, error) {
	return erasedAt(ctx, t.q(), tenantID, userID)
}

// ErasedAt implements vigil.Store.
func (s *Store) ErasedAt(ctx context.Context, tenantID, userID string) (int64, error) {
	return erasedAt(ctx, s.read, tenantID, userID)
}

func erasedAt(ctx context.Context, q querier, tenantID, userID string) (int64, error) {
	var at int64
	err := q.QueryRowContext(ctx, `SELECT erased_at FROM erased_users WHERE tenant_id = ? AND user_key = ?`,
		tenantID, vigil.ErasedUserKey(tenantID, userID)).Scan(&at)
	return at, notFound(err)
}

// ForgetErased implements vigil.Store: a TRUNCATE checkpoint copies the WAL's frames (among
// them the erased rows' last versions) into the database file, where secure_delete has zeroed
// the erased cells, and empties the WAL file. It waits for readers on older snapshots, and
// writers wait for it: erasure is rare.
func (s *Store) ForgetErased(ctx context.Context) error {
	var last error
	for range 20 {
		var busy, frames, copied int
		err := s.checkpoints.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied)
		if err == nil && busy == 0 {
			return nil
		}
		last = err
		if last == nil {
			last = errors.New("a reader kept the WAL busy")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("sqlite: truncate the WAL after an erasure: %w", last)
}

// PruneCandidates implements vigil.Store. It scans the history (no index on timestamps): it runs
// in the background, seldom.
func (s *Store) PruneCandidates(ctx context.Context, cutoff int64, keep, limit int) ([]vigil.PruneCandidate, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT u.tenant_id, u.uid, u.user_id FROM users u
		WHERE EXISTS (SELECT 1 FROM user_entries e WHERE e.tenant_id = u.tenant_id AND e.user_uid = u.uid
			AND e.type <> 'CREATE' AND e.seq <= u.last_seq - ? AND e.timestamp < ?
			AND e.timestamp < coalesce((SELECT min(k.timestamp) FROM user_entries k WHERE k.tenant_id = u.tenant_id
				AND k.user_uid = u.uid AND k.seq > u.last_seq - ? AND k.type <> 'CREATE'), ?))
		LIMIT ?`, keep, cutoff, keep, cutoff, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	candidates, err := sqlrow.Collect(rows, sqlrow.PruneCandidate)
	return candidates, err
}

func (t *sqlTx) PruneEntries(ctx context.Context, tenantID, userUID string, createSeq int64, createBody []byte, removed []int64) error {
	if _, err := t.q().ExecContext(ctx, `UPDATE users SET fold_index = NULL WHERE tenant_id = ? AND uid = ?`, tenantID, userUID); err != nil {
		return err
	}
	if _, err := t.q().ExecContext(ctx, `UPDATE user_entries SET body = ? WHERE tenant_id = ? AND user_uid = ? AND seq = ?`,
		createBody, tenantID, userUID, createSeq); err != nil {
		return err
	}
	for _, seq := range removed {
		for _, q := range []string{`DELETE FROM user_entries WHERE tenant_id = ? AND user_uid = ? AND seq = ?`,
			`DELETE FROM batch_records WHERE tenant_id = ? AND user_uid = ? AND seq = ?`} {
			if _, err := t.q().ExecContext(ctx, q, tenantID, userUID, seq); err != nil {
				return err
			}
		}
	}
	return nil
}
