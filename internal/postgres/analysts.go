package postgres

import (
	"context"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// Analysts implements vigil.Store.
func (s *Store) Analysts(ctx context.Context, tenantID string) ([]vigil.Analyst, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.AnalystColumns+` FROM analysts a WHERE a.tenant_id = $1 ORDER BY a.email`, tenantID)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, func(r sqlrow.Rows) (vigil.Analyst, error) { return sqlrow.Analyst(r) })
	return out, mapError(err)
}

// AnalystByEmail implements vigil.Store.
func (s *Store) AnalystByEmail(ctx context.Context, email string) (vigil.Analyst, vigil.Tenant, error) {
	var t vigil.Tenant
	a, err := sqlrow.Analyst(s.pool.QueryRow(ctx, `SELECT `+sqlrow.AnalystColumns+`, t.id, t.name, t.created_at
		FROM analysts a JOIN tenants t ON t.id = a.tenant_id WHERE a.email = $1`, email), &t.ID, &t.Name, &t.CreatedAt)
	return a, t, mapError(err)
}

func (t *pgTx) PutAnalyst(ctx context.Context, a vigil.Analyst) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO analysts (id, tenant_id, email, role, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, a.ID, a.TenantID, a.Email, string(a.Role), a.PasswordHash, a.CreatedAt)
	return mapError(err)
}

func (t *pgTx) DeleteAnalyst(ctx context.Context, tenantID, email string) error {
	if _, err := t.tx.Exec(ctx, `DELETE FROM console_sessions WHERE analyst_id IN
		(SELECT id FROM analysts WHERE tenant_id = $1 AND email = $2)`, tenantID, email); err != nil {
		return mapError(err)
	}
	tag, err := t.tx.Exec(ctx, `DELETE FROM analysts WHERE tenant_id = $1 AND email = $2`, tenantID, email)
	if err != nil {
		return mapError(err)
	}
	if tag.RowsAffected() == 0 {
		return vigil.ErrNotFound
	}
	return nil
}

// SessionByHash implements vigil.Store.
func (s *Store) SessionByHash(ctx context.Context, tokenHash []byte) (vigil.SignedIn, error) {
	in, err := sqlrow.SignedIn(s.pool.QueryRow(ctx, `SELECT `+sqlrow.SessionColumns+` FROM console_sessions s
		JOIN analysts a ON a.id = s.analyst_id JOIN tenants t ON t.id = a.tenant_id WHERE s.token_hash = $1`, tokenHash))
	return in, mapError(err)
}

func (t *pgTx) PutSession(ctx context.Context, s vigil.Session) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO console_sessions (token_hash, analyst_id, csrf, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, s.TokenHash, s.AnalystID, s.CSRF, s.CreatedAt, s.ExpiresAt)
	return mapError(err)
}

func (t *pgTx) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := t.tx.Exec(ctx, `DELETE FROM console_sessions WHERE token_hash = $1`, tokenHash)
	return mapError(err)
}

func (t *pgTx) DeleteSessionsEndedBefore(ctx context.Context, at int64) error {
	_, err := t.tx.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1`, at)
	return mapError(err)
}
