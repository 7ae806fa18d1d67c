package postgres

import (
	"context"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// KeyByHash implements vigil.Store.
func (s *Store) KeyByHash(ctx context.Context, keyHash []byte) (vigil.APIKey, vigil.Tenant, error) {
	k, t, err := sqlrow.KeyWithTenant(s.pool.QueryRow(ctx, `SELECT `+sqlrow.KeyColumns+`, `+sqlrow.TenantColumns+`
		FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = $1`, keyHash))
	return k, t, mapError(err)
}

// Keys implements vigil.Store.
func (s *Store) Keys(ctx context.Context, tenantID string) ([]vigil.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.KeyColumns+` FROM api_keys k
		WHERE k.tenant_id = $1 ORDER BY k.created_at, k.id`, tenantID)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	keys, err := sqlrow.Collect(rows, func(r sqlrow.Rows) (vigil.APIKey, error) { return sqlrow.Key(r) })
	return keys, mapError(err)
}

func (t *pgTx) KeyByID(ctx context.Context, id string) (vigil.APIKey, error) {
	k, err := sqlrow.Key(t.tx.QueryRow(ctx, `SELECT `+sqlrow.KeyColumns+` FROM api_keys k WHERE k.id = $1 FOR UPDATE`, id))
	return k, mapError(err)
}

func (t *pgTx) RevokeKey(ctx context.Context, id string, at int64) error {
	tag, err := t.tx.Exec(ctx, `UPDATE api_keys SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END WHERE id = $2`, at, id)
	if err == nil && tag.RowsAffected() == 0 {
		return vigil.ErrNotFound
	}
	return mapError(err)
}

func (t *pgTx) TouchKey(ctx context.Context, id string, at int64) error {
	_, err := t.tx.Exec(ctx, `UPDATE api_keys SET last_used_at = greatest(last_used_at, $1) WHERE id = $2`, at, id)
	return mapError(err)
}
