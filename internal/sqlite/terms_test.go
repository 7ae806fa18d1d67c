package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// termsFixture is a service on a store whose term indexer is stopped, so pending users stay
// pending until the test applies them.
type termsFixture struct {
	t      *testing.T
	path   string
	store  *Store
	svc    *vigil.Service
	tenant vigil.Tenant
}

func newTermsFixture(t *testing.T) *termsFixture {
	t.Helper()
	f := &termsFixture{t: t, path: filepath.Join(t.TempDir(), "terms.db")}
	f.open()
	key, err := f.svc.CreateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if f.tenant, err = f.svc.Authenticate(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	return f
}

// open opens the store with its indexer stopped.
func (f *termsFixture) open() {
	f.t.Helper()
	s, err := Open(context.Background(), f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { s.Close() })
	s.stopTermIndexer()
	svc, err := vigil.NewService(s, vigil.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	f.store, f.svc = s, svc
}

func (f *termsFixture) write(create bool, body string) {
	f.t.Helper()
	o, err := schema.DecodeObject([]byte(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if create {
		_, err = f.svc.CreateUser(context.Background(), f.tenant, vigil.Consumer, o, vigil.Flags{})
	} else {
		_, err = f.svc.ApplyEvent(context.Background(), f.tenant, vigil.Consumer, o, vigil.Flags{})
	}
	if err != nil {
		f.t.Fatal(err)
	}
}

// writeUsers creates n users and changes each one's state, KYC status and tags twice.
func (f *termsFixture) writeUsers(prefix string, n int) {
	for i := range n {
		f.write(true, fmt.Sprintf(`{"userId":"%s-%d","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada%d","lastName":"Lovelace"}}}`, prefix, i, i))
		for j, state := range []string{"ACTIVE", "SUSPENDED"} {
			f.write(false, fmt.Sprintf(`{"eventId":"%s-%d-%d","userId":"%s-%d","timestamp":%d,"updatedConsumerUserAttributes":{
				"userStateDetails":{"state":%q},"kycStatusDetails":{"status":"IN_PROGRESS"},"tags":[{"key":"k","value":"v%d"}]}}`,
				prefix, i, j, prefix, i, 1700000001000+int64(j), state, j))
		}
	}
}

func (f *termsFixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.store.read.QueryRow(query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// mismatches lists the users whose rows in the term index differ from their terms.
func (f *termsFixture) mismatches() []string {
	f.t.Helper()
	rows, err := f.store.read.Query(`SELECT uid, user_id, terms FROM users`)
	if err != nil {
		f.t.Fatal(err)
	}
	type user struct{ uid, id, terms string }
	var users []user
	for rows.Next() {
		var u user
		if err := rows.Scan(&u.uid, &u.id, &u.terms); err != nil {
			f.t.Fatal(err)
		}
		users = append(users, u)
	}
	rows.Close()
	var bad []string
	for _, u := range users {
		rows, err := f.store.read.Query(`SELECT term FROM user_terms WHERE uid = ? ORDER BY term`, u.uid)
		if err != nil {
			f.t.Fatal(err)
		}
		var indexed []string
		for rows.Next() {
			var term string
			if err := rows.Scan(&term); err != nil {
				f.t.Fatal(err)
			}
			indexed = append(indexed, term)
		}
		rows.Close()
		want := vigil.SplitTerms(u.terms)
		slices.Sort(want)
		if !slices.Equal(indexed, want) {
			bad = append(bad, fmt.Sprintf("%s: index %q, terms %q", u.id, indexed, want))
		}
	}
	return bad
}

// TestSearchAppliesPendingTerms: writes leave their users pending and the index behind; a
// search applies them first and finds every user as its latest write left it.
func TestSearchAppliesPendingTerms(t *testing.T) {
	f := newTermsFixture(t)
	f.writeUsers("u", 20)
	if n := f.count(`SELECT count(*) FROM user_terms_pending`); n != 20 {
		t.Fatalf("%d users pending, want 20", n)
	}
	if len(f.mismatches()) != 20 {
		t.Fatalf("the index is not behind every user: the test would prove nothing")
	}
	page, err := f.svc.SearchUsers(context.Background(), f.tenant, vigil.UserSearch{State: "SUSPENDED", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(page, []byte(`"userId":"u-`)); n != 20 {
		t.Errorf("a search for the state every user has now found %d users, want 20:\n%s", n, page)
	}
	if n := f.count(`SELECT count(*) FROM user_terms_pending`); n != 0 {
		t.Errorf("%d users still pending after a search", n)
	}
	if bad := f.mismatches(); len(bad) > 0 {
		t.Errorf("index rows differ from the users' terms after a search:\n%v", bad)
	}
	n, err := f.store.CountTerm(context.Background(), f.tenant.ID, "state:ACTIVE")
	if err != nil || n != 0 {
		t.Errorf("CountTerm(state:ACTIVE) = %d, %v; want 0: every user moved on", n, err)
	}
}

// TestPendingTermsSurviveAReopen: users left pending at close (or a crash) are indexed by the
// indexer of the next open, without a search.
func TestPendingTermsSurviveAReopen(t *testing.T) {
	f := newTermsFixture(t)
	f.writeUsers("u", 2*termsBatch+3) // more than one batch
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.store = s
	for deadline := time.Now().Add(30 * time.Second); f.count(`SELECT count(*) FROM user_terms_pending`) > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the indexer left users pending for 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if bad := f.mismatches(); len(bad) > 0 {
		t.Errorf("index rows differ from the users' terms:\n%v", bad)
	}
}

// TestErasureOfAPendingUser: the index rows of a user erased while pending go with it, the ones
// it had before its pending writes included, and so does its pending row (its names).
func TestErasureOfAPendingUser(t *testing.T) {
	f := newTermsFixture(t)
	f.writeUsers("keep", 1)
	if _, err := f.store.indexTerms(context.Background(), termsBatch); err != nil {
		t.Fatal(err)
	}
	f.writeUsers("erase", 1)
	if _, err := f.store.indexTerms(context.Background(), termsBatch); err != nil {
		t.Fatal(err)
	}
	f.write(false, `{"eventId":"late-name","userId":"erase-0","timestamp":1700000009000,"updatedConsumerUserAttributes":{"userDetails":{"name":{"firstName":"Renamed","lastName":"Person"}}}}`)
	if n := f.count(`SELECT count(*) FROM user_terms_pending`); n != 1 {
		t.Fatalf("%d users pending, want the one to erase", n)
	}
	if _, err := f.svc.EraseUser(context.Background(), f.tenant, vigil.Consumer, "erase-0"); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM user_terms_pending`); n != 0 {
		t.Errorf("%d users pending after the erasure", n)
	}
	if n := f.count(`SELECT count(*) FROM user_terms WHERE term LIKE '%ada0%' OR term LIKE '%renamed%' OR term LIKE '%erase%'`); n != 1 {
		// keep-0 is Ada0 too: its rows stay.
		t.Errorf("%d index rows of the erased user's names left, want only the other user's", n-1)
	}
	if bad := f.mismatches(); len(bad) > 0 {
		t.Errorf("index rows differ from the users' terms:\n%v", bad)
	}
}
