package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	// The user's search terms hold its name and emails: they go with it.
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
