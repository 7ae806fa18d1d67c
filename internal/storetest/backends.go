// Package storetest is the one conformance suite that every vigil.Store implementation passes,
// and the helpers that run any test on every available backend: SQLite always, PostgreSQL when
// VIGIL_TEST_POSTGRES_DSN names a server (each test then gets its own schema, dropped after).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-aml/vigil/internal/postgres"
	"github.com/vigil-aml/vigil/internal/sqlite"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// PostgresEnv names the environment variable with the DSN of a PostgreSQL server for tests.
const PostgresEnv = "VIGIL_TEST_POSTGRES_DSN"

// Backend opens fresh, empty stores of one kind.
type Backend struct {
	Name string
	// Open returns a new empty store, closed and removed when the test ends.
	Open func(t testing.TB) vigil.Store
	// DSN returns the DSN of a new empty database for a server process, removed when the test
	// ends.
	DSN func(t testing.TB) string
}

// Backends lists the backends available here. Without VIGIL_TEST_POSTGRES_DSN the PostgreSQL
// backend is left out and the tests that need it say why; in CI (CI set) its absence fails.
func Backends(t testing.TB) []Backend {
	out := []Backend{{Name: "sqlite", Open: openSQLite, DSN: sqliteDSN}}
	if dsn := os.Getenv(PostgresEnv); dsn != "" {
		out = append(out, Backend{Name: "postgres", Open: openPostgres(dsn), DSN: postgresDSN(dsn)})
	} else if os.Getenv("CI") != "" {
		t.Fatalf("%s is not set in CI: the PostgreSQL suite must run", PostgresEnv)
	} else {
		t.Logf("PostgreSQL backend skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run it", PostgresEnv)
	}
	return out
}

// PostgresDSN returns the DSN of a new empty PostgreSQL database for the test, or "" when no
// server is configured (which fails the test in CI, like Backends).
func PostgresDSN(t testing.TB) string {
	if b, ok := postgresBackend(t); ok {
		return b.DSN(t)
	}
	return ""
}

// OpenPostgres returns a new empty PostgreSQL store, closed and removed when the test ends, and
// skips the test when no server is configured (failing it in CI, like Backends).
func OpenPostgres(t testing.TB) vigil.Store {
	b, ok := postgresBackend(t)
	if !ok {
		t.Skip("no PostgreSQL server")
	}
	return b.Open(t)
}

func postgresBackend(t testing.TB) (Backend, bool) {
	for _, b := range Backends(t) {
		if b.Name == "postgres" {
			return b, true
		}
	}
	return Backend{}, false
}

// Each runs test as a subtest on every available backend.
func Each(t *testing.T, test func(t *testing.T, b Backend)) {
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) { test(t, b) })
	}
}

func sqliteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
}

func openSQLite(t testing.TB) vigil.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), strings.TrimPrefix(sqliteDSN(t), "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// postgresDSN creates a schema of its own for the test and returns a DSN that uses it.
func postgresDSN(base string) func(t testing.TB) string {
	return func(t testing.TB) string {
		t.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("PostgreSQL at %s: %v", PostgresEnv, err)
		}
		defer conn.Close(ctx)
		var b [6]byte
		rand.Read(b[:])
		name := "vigil_test_" + hex.EncodeToString(b[:])
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			conn, err := pgx.Connect(context.Background(), base)
			if err != nil {
				t.Errorf("drop schema %s: %v", name, err)
				return
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
				t.Errorf("drop schema %s: %v", name, err)
			}
		})
		return withParam(t, base, "search_path", name)
	}
}

func openPostgres(base string) func(t testing.TB) vigil.Store {
	return func(t testing.TB) vigil.Store {
		t.Helper()
		s, err := postgres.Open(context.Background(), postgresDSN(base)(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// withParam adds a parameter to a postgres:// URL or a key=value DSN.
func withParam(t testing.TB, dsn, key, value string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", PostgresEnv, err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}
