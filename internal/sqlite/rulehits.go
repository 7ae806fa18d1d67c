package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// qAddRuleHit[h] counts one hit of a rule in hour h of its day's row. The single writer
// serialises them, so one row per rule and day takes every write's hit.
var qAddRuleHit = func() (q [24]string) {
	for h := range q {
		q[h] = fmt.Sprintf(`INSERT INTO rule_hits (tenant_id, day, rule_instance_id, shadow, h%02d) VALUES (?, ?, ?, ?, 1)
	ON CONFLICT (tenant_id, day, rule_instance_id, shadow) DO UPDATE SET h%02d = h%02d + 1`, h, h, h)
	}
	return q
}()

// hourColumns lists the hour columns, h00 to h23.
var hourColumns = func() string {
	var b strings.Builder
	for h := range 24 {
		if h > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "h%02d", h)
	}
	return b.String()
}()

// countHits adds an entry's rule hits to the counters, in the entry's transaction.
func (t *sqlTx) countHits(e vigil.Entry) error {
	hour := e.CreatedAt / vigil.HourMillis
	for _, h := range e.RuleHits {
		if _, err := t.q().ExecContext(writerContext, qAddRuleHit[hour%24], e.TenantID, hour/24, h.RuleInstanceID, h.Shadow); err != nil {
			return err
		}
	}
	return nil
}

// RuleHitDays reads the counters' rows from fromDay on: the primary key's range.
func (s *Store) RuleHitDays(ctx context.Context, tenantID string, fromDay int64) ([]vigil.RuleHitDay, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT rule_instance_id, shadow, day, `+hourColumns+` FROM rule_hits
		WHERE tenant_id = ? AND day >= ? ORDER BY day, rule_instance_id, shadow`, tenantID, fromDay)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.Collect(rows, sqlrow.RuleHitDay)
}

// CountTerm counts the term's range of the term index.
func (s *Store) CountTerm(ctx context.Context, tenantID, term string) (int64, error) {
	if err := s.catchUpTerms(ctx); err != nil {
		return 0, err
	}
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
