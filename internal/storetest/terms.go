package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TermsFixture is a service on a store that indexes search terms in batches (user_terms_pending),
// with the store's indexer under the test's control. Query runs a query without parameters on
// the store's database and returns its rows' columns as text.
type TermsFixture struct {
	T      *testing.T
	Store  vigil.Store
	Svc    *vigil.Service
	Tenant vigil.Tenant
	Query  func(query string) [][]string
}

// TermsSuite runs the tests of the term index in batches on one kind of store. open makes a
// fixture on a new database whose indexer never runs, and a reopen that closes the fixture's
// store and opens its database again with the indexer running.
func TermsSuite(t *testing.T, open func(t *testing.T) (*TermsFixture, func() vigil.Store)) {
	t.Run("a search applies what is pending", func(t *testing.T) {
		f, _ := open(t)
		SearchAppliesPendingTerms(f)
	})
	t.Run("pending terms survive a reopen", func(t *testing.T) {
		f, reopen := open(t)
		PendingTermsSurviveAReopen(f, reopen)
	})
	t.Run("erasure of a pending user", func(t *testing.T) {
		f, _ := open(t)
		ErasureOfAPendingUser(f)
	})
}

// NewTermsFixture makes a service and a tenant on store.
func NewTermsFixture(t *testing.T, store vigil.Store, query func(string) [][]string) *TermsFixture {
	t.Helper()
	svc, err := vigil.NewService(store, vigil.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := svc.Authenticate(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return &TermsFixture{T: t, Store: store, Svc: svc, Tenant: tenant, Query: query}
}

// Write creates a consumer user or applies a consumer event.
func (f *TermsFixture) Write(create bool, body string) {
	f.T.Helper()
	o, err := schema.DecodeObject([]byte(body))
	if err != nil {
		f.T.Fatal(err)
	}
	if create {
		_, err = f.Svc.CreateUser(context.Background(), f.Tenant, vigil.Consumer, o, vigil.Flags{})
	} else {
		_, err = f.Svc.ApplyEvent(context.Background(), f.Tenant, vigil.Consumer, o, vigil.Flags{})
	}
	if err != nil {
		f.T.Fatal(err)
	}
}

// WriteUsers creates n users and changes each one's state, KYC status and tags twice.
func (f *TermsFixture) WriteUsers(prefix string, n int) {
	for i := range n {
		f.Write(true, fmt.Sprintf(`{"userId":"%s-%d","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada%d","lastName":"Lovelace"}}}`, prefix, i, i))
		for j, state := range []string{"ACTIVE", "SUSPENDED"} {
			f.Write(false, fmt.Sprintf(`{"eventId":"%s-%d-%d","userId":"%s-%d","timestamp":%d,"updatedConsumerUserAttributes":{
				"userStateDetails":{"state":%q},"kycStatusDetails":{"status":"IN_PROGRESS"},"tags":[{"key":"k","value":"v%d"}]}}`,
				prefix, i, j, prefix, i, 1700000001000+int64(j), state, j))
		}
	}
}

// Count runs a query of one number.
func (f *TermsFixture) Count(query string) int {
	f.T.Helper()
	rows := f.Query(query)
	if len(rows) != 1 || len(rows[0]) != 1 {
		f.T.Fatalf("%s: %v, want one number", query, rows)
	}
	n, err := strconv.Atoi(rows[0][0])
	if err != nil {
		f.T.Fatal(err)
	}
	return n
}

// Pending counts the users whose index rows wait for a batch.
func (f *TermsFixture) Pending() int { return f.Count(`SELECT count(*) FROM user_terms_pending`) }

// Mismatches lists the users whose rows in the term index differ from their terms.
func (f *TermsFixture) Mismatches() []string {
	f.T.Helper()
	indexed := map[string][]string{}
	for _, r := range f.Query(`SELECT uid, term FROM user_terms`) {
		indexed[r[0]] = append(indexed[r[0]], r[1])
	}
	var bad []string
	for _, u := range f.Query(`SELECT uid, user_id, terms FROM users`) {
		got, want := indexed[u[0]], vigil.SplitTerms(u[2])
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			bad = append(bad, fmt.Sprintf("%s: index %q, terms %q", u[1], got, want))
		}
	}
	return bad
}

// SearchAppliesPendingTerms: writes leave their users pending and the index behind (the
// store's indexer must not run); a search applies them first and finds every user as its latest
// write left it, and so does a term count. The new users' terms (about 600 index rows) are more
// than a SQLite unit moves (termsUnitRows).
func SearchAppliesPendingTerms(f *TermsFixture) {
	t := f.T
	const users = 40
	f.WriteUsers("u", users)
	if n := f.Pending(); n != users {
		t.Fatalf("%d users pending, want %d", n, users)
	}
	if len(f.Mismatches()) != users {
		t.Fatalf("the index is not behind every user: the test would prove nothing")
	}
	page, err := f.Svc.SearchUsers(context.Background(), f.Tenant, vigil.UserSearch{State: "SUSPENDED", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(page, []byte(`"userId":"u-`)); n != users {
		t.Errorf("a search for the state every user has now found %d users, want %d:\n%s", n, users, page)
	}
	if n := f.Pending(); n != 0 {
		t.Errorf("%d users still pending after a search", n)
	}
	if bad := f.Mismatches(); len(bad) > 0 {
		t.Errorf("index rows differ from the users' terms after a search:\n%v", bad)
	}
	n, err := f.Store.CountTerm(context.Background(), f.Tenant.ID, "state:ACTIVE")
	if err != nil || n != 0 {
		t.Errorf("CountTerm(state:ACTIVE) = %d, %v; want 0: every user moved on", n, err)
	}
}

// ErasureOfAPendingUser: the index rows of a user erased while pending go with it, the ones it
// had before its pending writes included, and so does its pending row (its names); so do those
// of a user erased with nothing pending.
func ErasureOfAPendingUser(f *TermsFixture) {
	t := f.T
	index := func() { // a term count applies what is pending
		if _, err := f.Store.CountTerm(context.Background(), f.Tenant.ID, "*"); err != nil {
			t.Fatal(err)
		}
	}
	f.WriteUsers("keep", 1)
	index()
	f.WriteUsers("erase", 1)
	index()
	f.Write(false, `{"eventId":"late-name","userId":"erase-0","timestamp":1700000009000,"updatedConsumerUserAttributes":{"userDetails":{"name":{"firstName":"Renamed","lastName":"Person"}}}}`)
	if n := f.Pending(); n != 1 {
		t.Fatalf("%d users pending, want the one to erase", n)
	}
	if _, err := f.Svc.EraseUser(context.Background(), f.Tenant, vigil.Consumer, "erase-0"); err != nil {
		t.Fatal(err)
	}
	if n := f.Pending(); n != 0 {
		t.Errorf("%d users pending after the erasure", n)
	}
	if n := f.Count(`SELECT count(*) FROM user_terms WHERE term LIKE '%ada0%' OR term LIKE '%renamed%' OR term LIKE '%erase%'`); n != 1 {
		// keep-0 is Ada0 too: its rows stay.
		t.Errorf("%d index rows of the erased user's names left, want only the other user's", n-1)
	}
	f.WriteUsers("gone", 1)
	index()
	if _, err := f.Svc.EraseUser(context.Background(), f.Tenant, vigil.Consumer, "gone-0"); err != nil {
		t.Fatal(err)
	}
	if n := f.Count(`SELECT count(*) FROM user_terms WHERE term LIKE '%gone%'`); n != 0 {
		t.Errorf("%d index rows of a user erased with nothing pending left", n)
	}
	if bad := f.Mismatches(); len(bad) > 0 {
		t.Errorf("index rows differ from the users' terms:\n%v", bad)
	}
}

// PendingTermsSurviveAReopen: users left pending when the store closed (or crashed) are indexed
// by the indexer of the next open, without a search, and its rounds report the count to an
// observer until it reaches none. reopen closes the store and opens its database again with
// the indexer running.
func PendingTermsSurviveAReopen(f *TermsFixture, reopen func() vigil.Store) {
	t := f.T
	f.WriteUsers("u", 131) // more than two units of either store's indexer
	if f.Pending() == 0 {
		t.Fatal("nothing pending before the reopen: the test would prove nothing")
	}
	f.Store = reopen()
	observed := &pendingObserver{last: -1}
	observable, ok := f.Store.(interface{ ObserveTerms(vigil.TermIndexObserver) })
	if !ok {
		t.Fatalf("%T does not report its term indexer's rounds (ObserveTerms)", f.Store)
	}
	observable.ObserveTerms(observed)
	for deadline := time.Now().Add(30 * time.Second); f.Pending() > 0 || observed.Last() != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, %d users pending, the indexer's last round saw %d", f.Pending(), observed.Last())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if bad := f.Mismatches(); len(bad) > 0 {
		t.Errorf("index rows differ from the users' terms:\n%v", bad)
	}
}

// pendingObserver keeps the last count a term indexer reported.
type pendingObserver struct {
	mu   sync.Mutex
	last int
}

// TermsPending implements vigil.TermIndexObserver.
func (o *pendingObserver) TermsPending(users int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = users
}

// Last is the count of the last round (-1: none yet).
func (o *pendingObserver) Last() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}
