package postgres

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestSessionDefaults: every connection gets the statement timeout and sessionDefaults, except
// what the DSN sets itself.
func TestSessionDefaults(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want map[string]string
	}{
		{"postgres://h/db", map[string]string{"jit": "off", "max_parallel_workers_per_gather": "0", "statement_timeout": "30000"}},
		{"postgres://h/db?jit=on&statement_timeout=5", map[string]string{"jit": "on", "max_parallel_workers_per_gather": "0", "statement_timeout": "5"}},
	} {
		cfg, err := pgxpool.ParseConfig(tc.dsn)
		if err != nil {
			t.Fatal(err)
		}
		Limits{}.withDefaults().apply(cfg)
		for name, want := range tc.want {
			if got := cfg.ConnConfig.RuntimeParams[name]; got != want {
				t.Errorf("%s: %s = %q, want %q", tc.dsn, name, got, want)
			}
		}
	}
}
