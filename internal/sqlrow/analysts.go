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
