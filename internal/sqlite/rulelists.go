package sqlite

import (
	"context"

	"github.com/vigil-aml/vigil/internal/vigil"
)

func (t *sqlTx) PutRuleList(ctx context.Context, l vigil.RuleList) error {
	_, err := t.q().ExecContext(ctx, `INSERT INTO rule_lists (tenant_id, key, document) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, key) DO NOTHING`, l.TenantID, l.Key, l.Document)
	return err
}

// RuleList implements vigil.Store.
func (s *Store) RuleList(ctx context.Context, tenantID, key string) ([]byte, error) {
	var doc []byte
	err := s.read.QueryRowContext(ctx, `SELECT document FROM rule_lists WHERE tenant_id = ? AND key = ?`, tenantID, key).Scan(&doc)
	return doc, notFound(err)
}
