package sqlrow

import "github.com/vigil-aml/vigil/internal/vigil"

// AnalystColumns are the columns Analyst reads, from the analysts table aliased a.
const AnalystColumns = `a.id, a.tenant_id, a.email, a.role, a.password_hash, a.created_at`

// Analyst reads an analyst from AnalystColumns, followed by the columns extra scans.
func Analyst(row Row, extra ...any) (vigil.Analyst, error) {
	var a vigil.Analyst
	var role string
	err := row.Scan(append([]any{&a.ID, &a.TenantID, &a.Email, &role, &a.PasswordHash, &a.CreatedAt}, extra...)...)
	a.Role = vigil.Role(role)
	return a, err
}

// SessionColumns are the columns SignedIn reads: the console_sessions table aliased s, then
// AnalystColumns, then the tenant's (t).
const SessionColumns = `s.token_hash, s.analyst_id, s.csrf, s.created_at, s.expires_at, ` + AnalystColumns + `, t.id, t.name, t.created_at`

// SignedIn reads a session with its analyst and tenant from SessionColumns.
func SignedIn(row Row) (vigil.SignedIn, error) {
	var in vigil.SignedIn
	s, t := &in.Session, &in.Tenant
	a, err := Analyst(multiRow{row, []any{&s.TokenHash, &s.AnalystID, &s.CSRF, &s.CreatedAt, &s.ExpiresAt}}, &t.ID, &t.Name, &t.CreatedAt)
	in.Analyst = a
	return in, err
}

// multiRow scans first into the leading destinations, then into the ones asked for.
type multiRow struct {
	row   Row
	first []any
}

func (m multiRow) Scan(dest ...any) error { return m.row.Scan(append(m.first, dest...)...) }
