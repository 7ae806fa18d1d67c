package sqlite

import (
	"context"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// RateLimits implements vigil.Store.
func (s *Store) RateLimits(ctx context.Context) ([]vigil.RateLimit, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT tenant_id, rps, burst, updated_at FROM tenant_rate_limits`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vigil.RateLimit
	for rows.Next() {
		var l vigil.RateLimit
		if err := rows.Scan(&l.TenantID, &l.RPS, &l.Burst, &l.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func (t *sqlTx) PutRateLimit(ctx context.Context, l vigil.RateLimit) error {
	_, err := t.q().ExecContext(ctx, `INSERT INTO tenant_rate_limits (tenant_id, rps, burst, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET rps = excluded.rps, burst = excluded.burst, updated_at = excluded.updated_at`,
		l.TenantID, l.RPS, l.Burst, l.UpdatedAt)
	return err
}

func (t *sqlTx) DeleteRateLimit(ctx context.Context, tenantID string) error {
	_, err := t.q().ExecContext(ctx, `DELETE FROM tenant_rate_limits WHERE tenant_id = ?`, tenantID)
	return err
}
