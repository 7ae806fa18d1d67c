package sqlrow

import (
	"strings"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// KeyColumns are the columns Key reads, in order, of the api_keys table.
const KeyColumns = `k.id, k.key_hash, k.tenant_id, k.name, k.scopes, k.created_at, k.last_used_at, k.revoked_at`

// TenantColumns are the columns KeyWithTenant reads after KeyColumns, of the tenants table.
const TenantColumns = `t.id, t.name, t.created_at`

// Key reads an API key from KeyColumns.
func Key(row Row) (vigil.APIKey, error) {
	var k vigil.APIKey
	var scopes string
	err := row.Scan(&k.ID, &k.Hash, &k.TenantID, &k.Name, &scopes, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	k.Scopes = parseScopes(scopes)
	return k, err
}

// KeyWithTenant reads an API key and its tenant from KeyColumns and TenantColumns.
func KeyWithTenant(row Row) (vigil.APIKey, vigil.Tenant, error) {
	var k vigil.APIKey
	var t vigil.Tenant
	var scopes string
	err := row.Scan(&k.ID, &k.Hash, &k.TenantID, &k.Name, &scopes, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt,
		&t.ID, &t.Name, &t.CreatedAt)
	k.Scopes = parseScopes(scopes)
	return k, t, err
}

func parseScopes(stored string) []vigil.Scope {
	var out []vigil.Scope
	for _, s := range strings.Split(stored, ",") {
		if s != "" {
			out = append(out, vigil.Scope(s))
		}
	}
	return out
}

// PruneCandidate reads a user to prune from the columns tenant_id, uid and user_id.
func PruneCandidate(row Rows) (vigil.PruneCandidate, error) {
	var c vigil.PruneCandidate
	err := row.Scan(&c.TenantID, &c.UID, &c.UserID)
	return c, err
}
