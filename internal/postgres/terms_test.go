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
// connection for the fixture's queries, and the database's DSN.
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

// openTerms is newTermsFixture with its reopen, for storetest.TermsSuite.
func openTerms(t *testing.T) (*storetest.TermsFixture, func() vigil.Store) {
	f, dsn := newTermsFixture(t)
	return f, func() vigil.Store {
		if err := f.Store.Close(); err != nil {
			t.Fatal(err)
		}
		return termsStore(t, dsn, 10*time.Millisecond)
	}
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

func TestTerms(t *testing.T) { storetest.TermsSuite(t, openTerms) }

// TestCatchUpSurvivesADeadlock: a catch-up waits for the pending rows others hold; when the
// holder then waits for one the catch-up holds, PostgreSQL aborts the catch-up (it waited
// first), which runs again and still applies everything once the holder is done.
func TestCatchUpSurvivesADeadlock(t *testing.T) {
	f, dsn := newTermsFixture(t)
	f.WriteUsers("u", 2)
	uids := f.Query(`SELECT uid FROM user_terms_pending ORDER BY tenant_id, uid`)
	if len(uids) != 2 {
		t.Fatalf("%d users pending, want 2", len(uids))
	}
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	lock := `SELECT uid FROM user_terms_pending WHERE uid = $1 FOR UPDATE`
	if _, err := tx.Exec(ctx, lock, uids[1][0]); err != nil { // the second of the catch-up's order
		t.Fatal(err)
	}
	caughtUp := make(chan error, 1)
	go func() {
		_, err := f.Store.CountTerm(ctx, f.Tenant.ID, "*")
		caughtUp <- err
	}()
	time.Sleep(200 * time.Millisecond) // the catch-up holds the first row and waits for the second
	if _, err := tx.Exec(ctx, lock, uids[0][0]); err != nil {
		t.Fatalf("the holder was aborted, not the catch-up: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-caughtUp; err != nil {
		t.Fatalf("the catch-up failed: %v", err)
	}
	if n := f.Pending(); n != 0 {
		t.Errorf("%d users pending after the catch-up", n)
	}
}
