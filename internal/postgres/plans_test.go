package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-aml/vigil/internal/postgres"
	"github.com/vigil-aml/vigil/internal/storetest"
)

// TestGenericPlansUseTheWholeKey: pgx prepares statements, and after five runs PostgreSQL may
// keep a generic plan, made without the arguments. On a new database, whose tables have no
// statistics, that plan must still look rows up by their whole key: a plan that matched only
// tenant_id and filtered the rest made every lookup scan all of a tenant's users (docs/decisions.md
// has what that cost).
func TestGenericPlansUseTheWholeKey(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	if dsn == "" {
		t.Skip("no PostgreSQL server")
	}
	ctx := context.Background()
	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	// index: the unique index (or either of "a|b") the lookup must use; filtered: the statement
	// checks more columns than the key, after the lookup by the key.
	tests := []struct {
		name, query, args, index string
		filtered                 bool
	}{
		{"user by userId", "SELECT uid FROM users WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE", "('t', 'u')", "users_pkey", false},
		{"user by uid", "SELECT user_id FROM users WHERE tenant_id = $1 AND uid = $2", "('t', 'u')", "users_uid", false},
		{"history of a user", "SELECT seq FROM user_entries WHERE tenant_id = $1 AND user_uid = $2 ORDER BY seq", "('t', 'u')", "user_entries_pkey", false},
		{"event by eventId", "SELECT seq FROM user_entries WHERE tenant_id = $1 AND event_kind = $2 AND event_id = $3", "('t', 'k', 'e')", "user_entries_event", false},
		{"update computed ahead", `WITH changed AS (UPDATE users SET last_seq = $1 WHERE tenant_id = $2 AND user_id = $3 AND uid = $4
			AND last_seq = $5 AND coalesce((SELECT config_version FROM tenants WHERE id = $2), 0) = $6 RETURNING 1)
			SELECT count(*) FROM changed`, "(2, 't', 'u', 'x', 1, 0)", "users_pkey|users_uid", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := conn.Exec(ctx, "PREPARE q AS "+tc.query); err != nil {
				t.Fatal(err)
			}
			defer conn.Exec(ctx, "DEALLOCATE q")
			rows, err := conn.Query(ctx, "EXPLAIN EXECUTE q"+tc.args, pgx.QueryExecModeSimpleProtocol)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			byIndex := false
			for _, index := range strings.Split(tc.index, "|") {
				byIndex = byIndex || strings.Contains(plan, " using "+index+" on users") || strings.Contains(plan, " using "+index+" on user_entries")
			}
			if !byIndex || strings.Contains(plan, "  Filter:") != tc.filtered || strings.Contains(plan, "Seq Scan") {
				t.Errorf("generic plan does not look the row up by %s alone:\n%s", tc.index, plan)
			}
		})
	}
}
