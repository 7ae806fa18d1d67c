package postgres

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// hitShards is how many rows share one rule's hits in one hour. Every write that hits a rule
// adds to a counter row and holds its lock until it commits; with one row, concurrent writes
// hitting a popular rule would wait on each other's commits. A write adds to its user's shard,
// so they wait only within one; a read sums the shards.
const hitShards = 8

// hitShard is the user's shard of the hit counters.
func hitShard(userUID string) int16 {
	h := fnv.New32a()
	h.Write([]byte(userUID))
	return int16(h.Sum32() % hitShards)
}

// hitRows is a write's rule hits as the columns of the counters' upsert: one row per day, rule
// and shadow flag (an upsert may not change a row twice), with its 24 hours' hits flattened
// into hours (24 per row), sorted so that every transaction locks counter rows in the same
// order (no deadlock between two writes hitting the same rules). They are summed here rather
// than by a GROUP BY in the statement: PostgreSQL's generic plan of the grouped statement took
// four times as long as the plain one.
type hitRows struct {
	days   []int64
	rules  []string
	shadow []bool
	hours  []int64
}

func collectHits(entries []vigil.Entry) hitRows {
	type key struct {
		day    int64
		rule   string
		shadow bool
	}
	var keys []key
	counts := map[key]*[24]int64{}
	for _, e := range entries {
		hour := e.CreatedAt / vigil.HourMillis
		for _, h := range e.RuleHits {
			k := key{hour / 24, h.RuleInstanceID, h.Shadow}
			if counts[k] == nil {
				keys = append(keys, k)
				counts[k] = new([24]int64)
			}
			counts[k][hour%24]++
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.day != b.day {
			return cmp.Compare(a.day, b.day)
		}
		if c := strings.Compare(a.rule, b.rule); c != 0 {
			return c
		}
		if a.shadow == b.shadow {
			return 0
		}
		if !a.shadow {
			return -1
		}
		return 1
	})
	var r hitRows
	for _, k := range keys {
		r.days, r.rules, r.shadow = append(r.days, k.day), append(r.rules, k.rule), append(r.shadow, k.shadow)
		r.hours = append(r.hours, counts[k][:]...)
	}
	return r
}

func (r hitRows) empty() bool { return len(r.rules) == 0 }

// args are the upsert's four array parameters.
func (r hitRows) args() []any { return []any{r.days, r.rules, r.shadow, r.hours} }

// hourColumns lists the hour columns, h00 to h23; hourValues picks a row's 24 hours out of the
// flattened array parameter $%d, and addHours adds them to a stored row's.
var hourColumns, hourValues, addHours = func() (string, string, string) {
	var cols, values, adds []string
	for h := range 24 {
		cols = append(cols, fmt.Sprintf("h%02d", h))
		values = append(values, fmt.Sprintf("($%%[1]d::bigint[])[(h.n - 1) * 24 + %d]", h+1))
		adds = append(adds, fmt.Sprintf("h%02d = rule_hits.h%02d + excluded.h%02d", h, h, h))
	}
	return strings.Join(cols, ", "), strings.Join(values, ", "), strings.Join(adds, ", ")
}()

// upsertHitsSQL adds rows of hits to the counters; $tenant and $shard are the numbers of the
// tenant's and shard's parameters, the four arrays of hitRows follow $first, and from is what
// the rows select from (", changed" inside WriteUserIf's statement, so they count only if it
// wrote).
func upsertHitsSQL(tenant, shard, first int, from string) string {
	return fmt.Sprintf(`INSERT INTO rule_hits (tenant_id, day, rule_instance_id, shadow, shard, %s)
		SELECT $%d::text, h.day, h.rule, h.shadow, $%d::smallint, %s
		FROM unnest($%d::bigint[], $%d::text[], $%d::boolean[]) WITH ORDINALITY AS h(day, rule, shadow, n)%s
		ORDER BY h.n
		ON CONFLICT (tenant_id, day, rule_instance_id, shadow, shard) DO UPDATE SET %s`,
		hourColumns, tenant, shard, fmt.Sprintf(hourValues, first+3), first, first+1, first+2, from, addHours)
}

var addHitsSQL = upsertHitsSQL(1, 2, 3, "")

// addHits is the statement that counts entries' hits (nil when they hit nothing).
func addHits(entries []vigil.Entry) *statement {
	r := collectHits(entries)
	if r.empty() {
		return nil
	}
	e := entries[0]
	return &statement{sql: addHitsSQL, args: append([]any{e.TenantID, hitShard(e.UserUID)}, r.args()...)}
}

// hourTotals sums the hour columns over a day's shards.
var hourTotals = func() string {
	var sums []string
	for h := range 24 {
		sums = append(sums, fmt.Sprintf("sum(h%02d)::bigint", h))
	}
	return strings.Join(sums, ", ")
}()

// RuleHitDays sums the shards of the counters' rows from fromDay on.
func (s *Store) RuleHitDays(ctx context.Context, tenantID string, fromDay int64) ([]vigil.RuleHitDay, error) {
	rows, err := s.pool.Query(ctx, `SELECT rule_instance_id, shadow, day, `+hourTotals+` FROM rule_hits
		WHERE tenant_id = $1 AND day >= $2 GROUP BY day, rule_instance_id, shadow ORDER BY day, rule_instance_id, shadow`, tenantID, fromDay)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.RuleHitDay)
	return out, mapError(err)
}

// CountTerm counts the term's range of the term index.
func (s *Store) CountTerm(ctx context.Context, tenantID, term string) (int64, error) {
	if err := s.catchUpTerms(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM user_terms WHERE tenant_id = $1 AND term = $2`, tenantID, term).Scan(&n)
	return n, mapError(err)
}

// DeliveryCounts reads the endpoint index's range of the window.
func (s *Store) DeliveryCounts(ctx context.Context, tenantID, endpointID string, since int64) ([]vigil.DeliveryCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, count(*), count(*) FILTER (WHERE attempts > 1 OR (status <> 'DELIVERED' AND attempts > 0))
		FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2 AND created_at >= $3 GROUP BY status ORDER BY status`,
		tenantID, endpointID, since)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []vigil.DeliveryCount
	for rows.Next() {
		c := vigil.DeliveryCount{EndpointID: endpointID}
		if err := rows.Scan(&c.Status, &c.Count, &c.Retried); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, mapError(rows.Err())
}
