package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-aml/vigil/internal/postgres"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// termsStore opens the database at dsn with the term indexer running every interval
// (negative: never), closed when the test ends.
func termsStore(t *testing.T, dsn string, interval time.Duration) *postgres.Store {
	t.Helper()
	s, err := postgres.OpenWith(context.Background(), dsn, postgres.Limits{TermsInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newTermsFixture is a terms fixture on a new database whose indexer never runs, with its own
// connection for the fixture's queries.
func newTermsFixture(t *testing.T) (*storetest.TermsFixture, string) {
	dsn := storetest.PostgresDSN(t)
	if dsn == "" {
		t.Skip("no PostgreSQL server")
	}
	store := termsStore(t, dsn, -1)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return storetest.NewTermsFixture(t, store, func(query string) [][]string { return queryText(t, conn, query) }), dsn
}

// queryText runs a query and returns its rows' columns as text.
func queryText(t *testing.T, conn *pgx.Conn, query string) [][]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		values, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		text := make([]string, len(values))
		for i, v := range values {
			text[i] = fmt.Sprint(v)
		}
		out = append(out, text)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSearchAppliesPendingTerms(t *testing.T) {
	f, _ := newTermsFixture(t)
	storetest.SearchAppliesPendingTerms(f)
}

func TestPendingTermsSurviveAReopen(t *testing.T) {
	f, dsn := newTermsFixture(t)
	storetest.PendingTermsSurviveAReopen(f, func() vigil.Store {
		if err := f.Store.Close(); err != nil {
			t.Fatal(err)
		}
		return termsStore(t, dsn, 10*time.Millisecond)
	})
}

func TestErasureOfAPendingUser(t *testing.T) {
	f, _ := newTermsFixture(t)
	storetest.ErasureOfAPendingUser(f, func() {
		if _, err := f.Store.CountTerm(context.Background(), f.Tenant.ID, "*"); err != nil {
			t.Fatal(err)
		}
	})
}
