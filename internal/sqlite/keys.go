package sqlite

import (
	"context"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// KeyByHash implements vigil.Store.
func (s *Store) KeyByHash(ctx context.Context, keyHash []byte) (vigil.APIKey, vigil.Tenant, error) {
	k, t, err := sqlrow.KeyWithTenant(s.read.QueryRowContext(ctx, `SELECT `+sqlrow.KeyColumns+`, `+sqlrow.TenantColumns+`
		FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = ?`, keyHash))
	return k, t, notFound(err)
}

// Keys implements vigil.Store.
func (s *Store) Keys(ctx context.Context, tenantID string) ([]vigil.APIKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+sqlrow.KeyColumns+` FROM api_keys k
		WHERE k.tenant_id = ? ORDER BY k.created_at, k.id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.Collect(rows, func(r sqlrow.Rows) (vigil.APIKey, error) { return sqlrow.Key(r) })
}

func (t *sqlTx) KeyByID(ctx context.Context, id string) (vigil.APIKey, error) {
	k, err := sqlrow.Key(t.q().QueryRowContext(ctx, `SELECT `+sqlrow.KeyColumns+` FROM api_keys k WHERE k.id = ?`, id))
	return k, notFound(err)
}

func (t *sqlTx) RevokeKey(ctx context.Context, id string, at int64) error {
	res, err := t.q().ExecContext(ctx, `UPDATE api_keys SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END WHERE id = ?`, at, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return vigil.ErrNotFound
	}
	return nil
}

func (t *sqlTx) TouchKey(ctx context.Context, id string, at int64) error {
	_, err := t.q().ExecContext(ctx, `UPDATE api_keys SET last_used_at = max(last_used_at, ?) WHERE id = ?`, at, id)
	return err
}
