package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// eraseStatements delete a user's data; each takes the tenant id and the user's uid.
var eraseStatements = []string{
	`DELETE FROM users WHERE tenant_id = $1 AND uid = $2`,
	`DELETE FROM user_entries WHERE tenant_id = $1 AND user_uid = $2`,
	`DELETE FROM batch_records WHERE tenant_id = $1 AND user_uid = $2`,
	`DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND order_key = $2)`,
	`DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND order_key = $2`,
}

func (t *pgTx) EraseUser(ctx context.Context, e vigil.Erasure) error {
	// The user's search terms hold its name and emails: they go with it. The index holds the
	// terms its pending row names (terms.go), or, with none, those of its row: no write of the
	// user can come between, the erasure holds its row. The pending row first: its delete waits
	// for a batch applying it, and then finds none.
	var indexed *string
	err := t.tx.QueryRow(ctx, `DELETE FROM user_terms_pending WHERE tenant_id = $1 AND uid = $2 RETURNING indexed`,
		e.User.TenantID, e.User.UID).Scan(&indexed)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return mapError(err)
	}
	terms := e.User.Terms
	if indexed != nil {
		terms = *indexed
	}
	var rows termRows
	for _, term := range vigil.SplitTerms(terms) {
		rows.add(e.User.TenantID, term, e.User.CreatedAt, e.User.UID)
	}
	if _, err := t.tx.Exec(ctx, qDeleteTerms, rows.args()...); err != nil {
		return mapError(err)
	}
	for _, q := range eraseStatements {
		if _, err := t.tx.Exec(ctx, q, e.User.TenantID, e.User.UID); err != nil {
			return mapError(err)
		}
	}
	// The user's screening searches hold its names, its cleared matches its id: they go too.
	for _, q := range []string{`DELETE FROM screening_searches WHERE tenant_id = $1 AND user_id = $2`,
		`DELETE FROM screening_clearings WHERE tenant_id = $1 AND user_id = $2`} {
		if _, err := t.tx.Exec(ctx, q, e.User.TenantID, e.User.UserID); err != nil {
			return mapError(err)
		}
	}
	// A user batch's answer names its failed records by userId.
	if _, err := t.tx.Exec(ctx, `UPDATE batches SET response = convert_to(replace(convert_from(response, 'UTF8'), $1, $2), 'UTF8')
		WHERE tenant_id = $3 AND position($4::bytea in response) > 0`, e.QuotedID, e.Redacted, e.User.TenantID, []byte(e.QuotedID)); err != nil {
		return mapError(err)
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO erased_users (tenant_id, user_key, erased_at) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, user_key) DO NOTHING`, e.User.TenantID, e.Key, e.At)
	return mapError(err)
}

func (t *pgTx) ErasedAt(ctx context.Context, tenantID, userID string) (int64, error) {
	return erasedAt(ctx, t.tx, tenantID, userID)
}

// ErasedAt implements vigil.Store.
func (s *Store) ErasedAt(ctx context.Context, tenantID, userID string) (int64, error) {
	return erasedAt(ctx, s.pool, tenantID, userID)
}

func erasedAt(ctx context.Context, q querier, tenantID, userID string) (int64, error) {
	var at int64
	err := q.QueryRow(ctx, `SELECT erased_at FROM erased_users WHERE tenant_id = $1 AND user_key = $2`,
		tenantID, vigil.ErasedUserKey(tenantID, userID)).Scan(&at)
	return at, mapError(err)
}

// ForgetErased implements vigil.Store. PostgreSQL keeps deleted rows' old versions until VACUUM
// reclaims them, and its WAL, archives and backups keep what they recorded: docs/erasure.md says
// what an operator must do. Nothing here can do it for them.
func (s *Store) ForgetErased(ctx context.Context) error { return nil }

// PruneCandidates implements vigil.Store. It scans the history (no index on timestamps): it runs
// in the background, seldom.
func (s *Store) PruneCandidates(ctx context.Context, cutoff int64, keep, limit int) ([]vigil.PruneCandidate, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.tenant_id, u.uid, u.user_id FROM users u
		WHERE EXISTS (SELECT 1 FROM user_entries e WHERE e.tenant_id = u.tenant_id AND e.user_uid = u.uid
			AND e.type <> 'CREATE' AND e.seq <= u.last_seq - $1 AND e.timestamp < $2
			AND e.timestamp < coalesce((SELECT min(k.timestamp) FROM user_entries k WHERE k.tenant_id = u.tenant_id
				AND k.user_uid = u.uid AND k.seq > u.last_seq - $1 AND k.type <> 'CREATE'), $2))
		LIMIT $3`, keep, cutoff, limit)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	candidates, err := sqlrow.Collect(rows, sqlrow.PruneCandidate)
	return candidates, mapError(err)
}

func (t *pgTx) PruneEntries(ctx context.Context, tenantID, userUID string, createSeq int64, createBody []byte, removed []int64) error {
	if _, err := t.tx.Exec(ctx, `UPDATE users SET fold_index = NULL WHERE tenant_id = $1 AND uid = $2`, tenantID, userUID); err != nil {
		return mapError(err)
	}
	if _, err := t.tx.Exec(ctx, `UPDATE user_entries SET body = $1 WHERE tenant_id = $2 AND user_uid = $3 AND seq = $4`,
		createBody, tenantID, userUID, createSeq); err != nil {
		return mapError(err)
	}
	for _, q := range []string{`DELETE FROM user_entries WHERE tenant_id = $1 AND user_uid = $2 AND seq = ANY($3)`,
		`DELETE FROM batch_records WHERE tenant_id = $1 AND user_uid = $2 AND seq = ANY($3)`} {
		if _, err := t.tx.Exec(ctx, q, tenantID, userUID, removed); err != nil {
			return mapError(err)
		}
	}
	return nil
}
