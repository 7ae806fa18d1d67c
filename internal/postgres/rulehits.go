package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

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

// hitRows is a write's rule hits, summed by hour, rule and shadow flag, as the columns of the
// counters' upsert (which sums them by day and locks the rows in that order, so two writes
// hitting the same rules never lock them in opposite orders).
type hitRows struct {
	hours  []int64
	rules  []string
	shadow []bool
	hits   []int64
}

func collectHits(entries []vigil.Entry) hitRows {
	type key struct {
		hour   int64
		rule   string
		shadow bool
	}
	var keys []key
	counts := map[key]int64{}
	for _, e := range entries {
		for _, h := range e.RuleHits {
			k := key{e.CreatedAt / vigil.HourMillis, h.RuleInstanceID, h.Shadow}
			if counts[k] == 0 {
				keys = append(keys, k)
			}
			counts[k]++
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.hour != b.hour {
			return int(a.hour - b.hour)
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
		r.hours, r.rules, r.shadow, r.hits = append(r.hours, k.hour), append(r.rules, k.rule), append(r.shadow, k.shadow), append(r.hits, counts[k])
	}
	return r
}

func (r hitRows) empty() bool { return len(r.rules) == 0 }

// hourColumns lists the hour columns, h00 to h23; hourSums sums a write's hits into them by
// their hour, and addHours adds them to a row's.
var hourColumns, hourSums, addHours = func() (string, string, string) {
	var cols, sums, adds []string
	for h := range 24 {
		cols = append(cols, fmt.Sprintf("h%02d", h))
		sums = append(sums, fmt.Sprintf("sum(CASE WHEN h.hour %% 24 = %d THEN h.hits ELSE 0 END)", h))
		adds = append(adds, fmt.Sprintf("h%02d = rule_hits.h%02d + excluded.h%02d", h, h, h))
	}
	return strings.Join(cols, ", "), strings.Join(sums, ", "), strings.Join(adds, ", ")
}()

// upsertHitsSQL adds rows of hits to the counters; $tenant and $shard are the numbers of the
// tenant's and shard's parameters, the four arrays follow $first, and from is what the rows
// select from (", changed" inside WriteUserIf's statement, so they count only if it wrote).
// The hits of one day, rule and shadow flag are summed into one row: an upsert may not change
// a row twice.
func upsertHitsSQL(tenant, shard, first int, from string) string {
	return fmt.Sprintf(`INSERT INTO rule_hits (tenant_id, day, rule_instance_id, shadow, shard, %s)
		SELECT $%d::text, h.hour / 24, h.rule, h.shadow, $%d::smallint, %s
		FROM unnest($%d::bigint[], $%d::text[], $%d::boolean[], $%d::bigint[]) AS h(hour, rule, shadow, hits)%s
		GROUP BY h.hour / 24, h.rule, h.shadow ORDER BY h.hour / 24, h.rule, h.shadow
		ON CONFLICT (tenant_id, day, rule_instance_id, shadow, shard) DO UPDATE SET %s`,
		hourColumns, tenant, shard, hourSums, first, first+1, first+2, first+3, from, addHours)
}

var addHitsSQL = upsertHitsSQL(1, 2, 3, "")

// addHits is the statement that counts entries' hits (nil when they hit nothing).
func addHits(entries []vigil.Entry) *statement {
	r := collectHits(entries)
	if r.empty() {
		return nil
	}
	e := entries[0]
	return &statement{sql: addHitsSQL, args: []any{e.TenantID, hitShard(e.UserUID), r.hours, r.rules, r.shadow, r.hits}}
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
	var out []vigil.RuleHitDay
	for rows.Next() {
		var c vigil.RuleHitDay
		dest := []any{&c.RuleInstanceID, &c.Shadow, &c.Day}
		for h := range c.Hours {
			dest = append(dest, &c.Hours[h])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, mapError(rows.Err())
}

// CountTerm counts the term's range of the term index.
func (s *Store) CountTerm(ctx context.Context, tenantID, term string) (int64, error) {
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
