package sqlite

import (
	"context"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// qAddRuleHit counts one hit of a rule in its hour. The single writer serialises it, so one row
// per rule and hour takes every write's hit.
const qAddRuleHit = `INSERT INTO rule_hits (tenant_id, hour, rule_instance_id, shadow, hits) VALUES (?, ?, ?, ?, 1)
	ON CONFLICT (tenant_id, hour, rule_instance_id, shadow) DO UPDATE SET hits = hits + 1`

// countHits adds an entry's rule hits to the counters, in the entry's transaction.
func (t *sqlTx) countHits(e vigil.Entry) error {
	hour := e.CreatedAt / vigil.HourMillis
	for _, h := range e.RuleHits {
		if _, err := t.q().ExecContext(writerContext, qAddRuleHit, e.TenantID, hour, h.RuleInstanceID, h.Shadow); err != nil {
			return err
		}
	}
	return nil
}

// RuleHits reads the counters' rows from fromHour on: the primary key's range.
func (s *Store) RuleHits(ctx context.Context, tenantID string, fromHour int64) ([]vigil.RuleHitCount, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT rule_instance_id, shadow, hour, hits FROM rule_hits
		WHERE tenant_id = ? AND hour >= ? ORDER BY hour, rule_instance_id, shadow`, tenantID, fromHour)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vigil.RuleHitCount
	for rows.Next() {
		var c vigil.RuleHitCount
		if err := rows.Scan(&c.RuleInstanceID, &c.Shadow, &c.Hour, &c.Hits); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountTerm counts the term's range of the term index.
func (s *Store) CountTerm(ctx context.Context, tenantID, term string) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM user_terms WHERE tenant_id = ? AND term = ?`, tenantID, term).Scan(&n)
	return n, err
}

// DeliveryCounts reads the endpoint index's range of the window.
func (s *Store) DeliveryCounts(ctx context.Context, tenantID, endpointID string, since int64) ([]vigil.DeliveryCount, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT endpoint_id, status, count(*), coalesce(sum(attempts > 1 OR (status <> 'DELIVERED' AND attempts > 0)), 0)
		FROM webhook_deliveries WHERE tenant_id = ? AND endpoint_id = ? AND created_at >= ? GROUP BY endpoint_id, status ORDER BY status`,
		tenantID, endpointID, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vigil.DeliveryCount
	for rows.Next() {
		var c vigil.DeliveryCount
		if err := rows.Scan(&c.EndpointID, &c.Status, &c.Count, &c.Retried); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
