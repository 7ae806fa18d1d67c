package postgres

import (
	"context"

	"github.com/vigil-aml/vigil/internal/vigil"
)

func (t *pgTx) PutRuleList(ctx context.Context, l vigil.RuleList) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO rule_lists (tenant_id, key, document) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, key) DO NOTHING`, l.TenantID, l.Key, l.Document)
	return mapError(err)
}

// RuleList implements vigil.Store.
func (s *Store) RuleList(ctx context.Context, tenantID, key string) ([]byte, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT document FROM rule_lists WHERE tenant_id = $1 AND key = $2`, tenantID, key).Scan(&doc)
	return doc, mapError(err)
}
