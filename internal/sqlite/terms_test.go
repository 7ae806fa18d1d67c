package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/sqlite"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// termsStore opens the database at path with the term indexer running every interval
// (negative: never), closed when the test ends.
func termsStore(t *testing.T, path string, interval time.Duration) *sqlite.Store {
	t.Helper()
	s, err := sqlite.OpenWith(context.Background(), path, sqlite.Limits{TermsInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTerms is a terms fixture on a new database whose indexer never runs, with its own
// connection for the fixture's queries, and its reopen.
func openTerms(t *testing.T) (*storetest.TermsFixture, func() vigil.Store) {
	path := filepath.Join(t.TempDir(), "terms.db")
	store := termsStore(t, path, -1)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := storetest.NewTermsFixture(t, store, func(query string) [][]string { return queryText(t, db, query) })
	return f, func() vigil.Store {
		if err := f.Store.Close(); err != nil {
			t.Fatal(err)
		}
		return termsStore(t, path, 10*time.Millisecond)
	}
}

// queryText runs a query and returns its rows' columns as text.
func queryText(t *testing.T, db *sql.DB, query string) [][]string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		row := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		text := make([]string, len(cols))
		for i, v := range row {
			text[i] = v.String
		}
		out = append(out, text)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTerms(t *testing.T) { storetest.TermsSuite(t, openTerms) }
