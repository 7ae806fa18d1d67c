package sqlite

import (
	"context"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// Analysts implements vigil.Store.
func (s *Store) Analysts(ctx context.Context, tenantID string) ([]vigil.Analyst, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+sqlrow.AnalystColumns+` FROM analysts a WHERE a.tenant_id = ? ORDER BY a.email`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.Collect(rows, func(r sqlrow.Rows) (vigil.Analyst, error) { return sqlrow.Analyst(r) })
}

// AnalystByEmail implements vigil.Store.
func (s *Store) AnalystByEmail(ctx context.Context, email string) (vigil.Analyst, vigil.Tenant, error) {
	var t vigil.Tenant
	a, err := sqlrow.Analyst(s.read.QueryRowContext(ctx, `SELECT `+sqlrow.AnalystColumns+`, t.id, t.name, t.created_at
		FROM analysts a JOIN tenants t ON t.id = a.tenant_id WHERE a.email = ?`, email), &t.ID, &t.Name, &t.CreatedAt)
	return a, t, notFound(err)
}

func (t *sqlTx) PutAnalyst(ctx context.Context, a vigil.Analyst) error {
	_, err := t.q().ExecContext(ctx, `INSERT INTO analysts (id, tenant_id, email, role, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, a.ID, a.TenantID, a.Email, string(a.Role), a.PasswordHash, a.CreatedAt)
	return duplicate(err)
}

func (t *sqlTx) DeleteAnalyst(ctx context.Context, tenantID, email string) error {
	if _, err := t.q().ExecContext(ctx, `DELETE FROM console_sessions WHERE analyst_id IN
		(SELECT id FROM analysts WHERE tenant_id = ? AND email = ?)`, tenantID, email); err != nil {
		return err
	}
	res, err := t.q().ExecContext(ctx, `DELETE FROM analysts WHERE tenant_id = ? AND email = ?`, tenantID, email)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return vigil.ErrNotFound
	}
	return nil
}

// SessionByHash implements vigil.Store.
func (s *Store) SessionByHash(ctx context.Context, tokenHash []byte) (vigil.SignedIn, error) {
	in, err := sqlrow.SignedIn(s.read.QueryRowContext(ctx, `SELECT `+sqlrow.SessionColumns+` FROM console_sessions s
		JOIN analysts a ON a.id = s.analyst_id JOIN tenants t ON t.id = a.tenant_id WHERE s.token_hash = ?`, tokenHash))
	return in, notFound(err)
}

func (t *sqlTx) PutSession(ctx context.Context, s vigil.Session) error {
	_, err := t.q().ExecContext(ctx, `INSERT INTO console_sessions (token_hash, analyst_id, csrf, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`, s.TokenHash, s.AnalystID, s.CSRF, s.CreatedAt, s.ExpiresAt)
	return err
}

func (t *sqlTx) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := t.q().ExecContext(ctx, `DELETE FROM console_sessions WHERE token_hash = ?`, tokenHash)
	return err
}

func (t *sqlTx) DeleteSessionsEndedBefore(ctx context.Context, at int64) error {
	_, err := t.q().ExecContext(ctx, `DELETE FROM console_sessions WHERE expires_at <= ?`, at)
	return err
}
