package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// Run is the conformance suite: everything the domain relies on from a Store.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		test func(t *testing.T, s vigil.Store)
	}{
		{"tenants and keys", testTenantsAndKeys},
		{"users", testUsers},
		{"history entries and event ids", testEntries},
		{"a failed unit writes nothing", testFailedUnit},
		{"concurrent units on one user are serialised", testSerialisedUser},
		{"racing inserts of one user", testRacingInserts},
		{"risk models", testRiskModels},
		{"rules and their versions", testRules},
		{"rule lists, stored once by key", testRuleLists},
		{"many units in order with shared commits", testUpdateAll},
		{"webhook endpoints", testWebhookEndpoints},
		{"webhook outbox order, leases and retries", testOutbox},
		{"webhook claims bounded per endpoint", testClaimBounds},
		{"webhook endpoints counted one transaction after the other", testCountEndpoints},
		{"configuration version", testConfigVersion},
		{"a user's latest response", testLatestResponse},
		{"a write computed ahead stores only on its versions", testWriteUserIf},
		{"one write of a user, its entries and deliveries", testWriteUser},
		{"tenants' own rate limits", testRateLimits},
		{"the audit log: unsealed records, sealing and the chain", testAuditLog},
		{"concurrent sealers of one tenant take turns", testConcurrentSealers},
		{"appended audit records join the chain in order", testAppendAudit},
		{"risk model versions", testRiskModelVersions},
		{"user search by terms", testSearchUsers},
		{"analysts", testAnalysts},
		{"console sessions", testSessions},
		{"an entry's results, risk included", testEntryResults},
		{"a user's webhook deliveries, newest first, paged", testUserDeliveries},
		{"a user's fold index", testFoldIndex},
		{"rule hit counters", testRuleHits},
		{"the overview's counts", testOverviewCounts},
		{"screening lists, searches and clearings", testScreeningLists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, b.Open(t)) })
	}
}

func update(t *testing.T, s vigil.Store, fn func(ctx context.Context, tx vigil.Tx) error) error {
	t.Helper()
	ctx := context.Background()
	return s.Update(ctx, func(tx vigil.Tx) error { return fn(ctx, tx) })
}

func mustUpdate(t *testing.T, s vigil.Store, fn func(ctx context.Context, tx vigil.Tx) error) {
	t.Helper()
	if err := update(t, s, fn); err != nil {
		t.Fatal(err)
	}
}

func testTenantsAndKeys(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	if n, err := s.CountKeys(ctx); err != nil || n != 0 {
		t.Fatalf("CountKeys on an empty store = %d, %v", n, err)
	}
	acme := vigil.Tenant{ID: "t1", Name: "acme", CreatedAt: 42}
	key1 := vigil.APIKey{ID: "k1", Hash: []byte("hash-1"), TenantID: "t1", Name: "ci", CreatedAt: 43,
		Scopes: []vigil.Scope{vigil.ScopeRead, vigil.ScopeWrite, vigil.ScopeAdmin}}
	key2 := vigil.APIKey{ID: "k2", Hash: []byte("hash-2"), TenantID: "t1", CreatedAt: 44, Scopes: []vigil.Scope{vigil.ScopeRead}}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.CreateTenant(ctx, acme); err != nil {
			return err
		}
		return tx.CreateKey(ctx, key1)
	})
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.CreateTenant(ctx, vigil.Tenant{ID: "t2", Name: "acme"})
	}); !errors.Is(err, vigil.ErrDuplicate) {
		t.Fatalf("second tenant named acme: %v, want ErrDuplicate", err)
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		got, err := tx.TenantByName(ctx, "acme")
		if err != nil || got != acme {
			return fmt.Errorf("TenantByName = %+v, %v", got, err)
		}
		if _, err := tx.TenantByName(ctx, "nobody"); !errors.Is(err, vigil.ErrNotFound) {
			return fmt.Errorf("TenantByName(nobody) = %v, want ErrNotFound", err)
		}
		return tx.CreateKey(ctx, key2)
	})
	if k, got, err := s.KeyByHash(ctx, []byte("hash-1")); err != nil || got != acme || !reflect.DeepEqual(k, key1) {
		t.Fatalf("KeyByHash = %+v, %+v, %v", k, got, err)
	}
	if _, _, err := s.KeyByHash(ctx, []byte("nope")); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("KeyByHash(unknown) = %v, want ErrNotFound", err)
	}
	if keys, err := s.Keys(ctx, "t1"); err != nil || !reflect.DeepEqual(keys, []vigil.APIKey{key1, key2}) {
		t.Fatalf("Keys = %+v, %v", keys, err)
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.RevokeKey(ctx, "k2", 50); err != nil {
			return err
		}
		if err := tx.RevokeKey(ctx, "k2", 60); err != nil { // the first revocation stands
			return err
		}
		if err := tx.RevokeKey(ctx, "nope", 50); !errors.Is(err, vigil.ErrNotFound) {
			return fmt.Errorf("RevokeKey(unknown) = %v, want ErrNotFound", err)
		}
		if err := tx.TouchKey(ctx, "k1", 70); err != nil {
			return err
		}
		if err := tx.TouchKey(ctx, "k1", 65); err != nil { // never goes back
			return err
		}
		got, err := tx.KeyByID(ctx, "k2")
		if err != nil || got.RevokedAt != 50 {
			return fmt.Errorf("KeyByID(k2) after revoking = %+v, %v", got, err)
		}
		if _, err := tx.KeyByID(ctx, "nope"); !errors.Is(err, vigil.ErrNotFound) {
			return fmt.Errorf("KeyByID(unknown) = %v, want ErrNotFound", err)
		}
		return nil
	})
	if k, _, err := s.KeyByHash(ctx, []byte("hash-1")); err != nil || k.LastUsedAt != 70 || k.RevokedAt != 0 {
		t.Fatalf("KeyByHash after use = %+v, %v", k, err)
	}
	if n, err := s.CountKeys(ctx); err != nil || n != 2 {
		t.Fatalf("CountKeys = %d, %v", n, err)
	}
}

func sampleUser(tenant, uid, userID string) vigil.UserRecord {
	return vigil.UserRecord{TenantID: tenant, UID: uid, UserID: userID, Kind: vigil.Consumer,
		Profile: []byte(`{"userId":"` + userID + `"}`), Evaluation: []byte(`{"status":"ALLOW"}`), Risk: []byte(`{"kyc":{}}`),
		Rules:        []byte(`{"aggregates":{}}`),
		MaxTimestamp: 0, LastSeq: 1, CreatedAt: 1, UpdatedAt: 1}
}

func testUsers(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	u := sampleUser("t1", "uid-1", "alice")
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if _, err := tx.LockUser(ctx, "t1", "alice"); !errors.Is(err, vigil.ErrNotFound) {
			return fmt.Errorf("LockUser before insert = %v, want ErrNotFound", err)
		}
		return tx.InsertUser(ctx, u)
	})
	if got, err := s.User(ctx, "t1", "alice"); err != nil || !sameUser(got, u) {
		t.Fatalf("User = %+v, %v; want %+v", got, err, u)
	}
	// The same userId in another tenant is another user.
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.InsertUser(ctx, sampleUser("t2", "uid-2", "alice"))
	})
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.InsertUser(ctx, sampleUser("t1", "uid-3", "alice"))
	}); !errors.Is(err, vigil.ErrDuplicate) {
		t.Fatalf("duplicate userId: %v, want ErrDuplicate", err)
	}
	// An update can rename, change the kind and every column; it is found by UID.
	renamed := u
	renamed.UserID, renamed.Kind, renamed.Profile, renamed.Evaluation = "alicia", vigil.Business, []byte(`{"x":1}`), []byte(`{"y":2}`)
	renamed.Risk, renamed.Rules = []byte(`{"cra":{"locked":true}}`), []byte(`{"shadow":[]}`)
	renamed.MaxTimestamp, renamed.LastSeq, renamed.UpdatedAt = 1700000000000, 7, 99
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		got, err := tx.LockUser(ctx, "t1", "alice")
		if err != nil || !sameUser(got, u) {
			return fmt.Errorf("LockUser = %+v, %v", got, err)
		}
		return tx.UpdateUser(ctx, renamed)
	})
	if _, err := s.User(ctx, "t1", "alice"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("old userId after rename: %v, want ErrNotFound", err)
	}
	if got, err := s.User(ctx, "t1", "alicia"); err != nil || !sameUser(got, renamed) {
		t.Fatalf("renamed user = %+v, %v; want %+v", got, err, renamed)
	}
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.UpdateUser(ctx, sampleUser("t1", "uid-none", "ghost"))
	}); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("UpdateUser of an unknown UID: %v, want ErrNotFound", err)
	}
}

func sameUser(a, b vigil.UserRecord) bool {
	return a.TenantID == b.TenantID && a.UID == b.UID && a.UserID == b.UserID && a.Kind == b.Kind &&
		bytes.Equal(a.Profile, b.Profile) && bytes.Equal(a.Evaluation, b.Evaluation) && bytes.Equal(a.Risk, b.Risk) && bytes.Equal(a.Rules, b.Rules) &&
		a.MaxTimestamp == b.MaxTimestamp && a.LastSeq == b.LastSeq && a.CreatedAt == b.CreatedAt && a.UpdatedAt == b.UpdatedAt &&
		bytes.Equal(a.FoldIndex, b.FoldIndex)
}

func testEntries(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	create := vigil.Entry{TenantID: "t1", UserUID: "uid-1", Seq: 1, Type: vigil.EntryCreate, Timestamp: 5, Body: []byte(`{"a":1}`),
		Evaluation: []byte(`{}`), Response: []byte(`{"r":1}`), CreatedAt: 10}
	event := vigil.Entry{TenantID: "t1", UserUID: "uid-1", Seq: 2, Type: vigil.EntryEvent, Timestamp: 3, EventKind: vigil.Consumer,
		EventID: "e1", Body: []byte(`{"b":2}`), RequestHash: []byte{1, 2, 3}, Evaluation: []byte(`{"e":1}`), Response: []byte(`{"r":2}`),
		Shadow: []byte(`[{"s":1}]`), CreatedAt: 11}
	noHash := vigil.Entry{TenantID: "t1", UserUID: "uid-1", Seq: 3, Type: vigil.EntryEvent, Timestamp: 4, EventKind: vigil.Consumer,
		EventID: "generated", Body: []byte(`{"c":3}`), Evaluation: []byte(`{}`), Response: []byte(`{}`), CreatedAt: 12}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		for _, e := range []vigil.Entry{create, event, noHash} {
			if err := tx.InsertEntry(ctx, e); err != nil {
				return err
			}
		}
		// The same eventId is free for the other user type and for another tenant.
		if err := tx.InsertEntry(ctx, vigil.Entry{TenantID: "t1", UserUID: "uid-9", Seq: 1, Type: vigil.EntryEvent,
			EventKind: vigil.Business, EventID: "e1", Body: []byte(`{}`), CreatedAt: 1}); err != nil {
			return err
		}
		return tx.InsertEntry(ctx, vigil.Entry{TenantID: "t2", UserUID: "uid-1", Seq: 1, Type: vigil.EntryEvent,
			EventKind: vigil.Consumer, EventID: "e1", Body: []byte(`{}`), CreatedAt: 1})
	})
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.InsertEntry(ctx, vigil.Entry{TenantID: "t1", UserUID: "uid-2", Seq: 1, Type: vigil.EntryEvent,
			EventKind: vigil.Consumer, EventID: "e1", Body: []byte(`{}`), CreatedAt: 1})
	}); !errors.Is(err, vigil.ErrDuplicate) {
		t.Fatalf("reused eventId: %v, want ErrDuplicate", err)
	}
	// The history as Tx.Entries reads it in a write and UserEntries outside one.
	checkHistory := func(name string, got []vigil.Entry) error {
		if len(got) != 3 {
			return fmt.Errorf("%s = %d entries, want 3", name, len(got))
		}
		for i, want := range []vigil.Entry{create, event, noHash} {
			g := got[i]
			if g.Seq != want.Seq || g.Type != want.Type || g.Timestamp != want.Timestamp || g.EventKind != want.EventKind ||
				g.EventID != want.EventID || !bytes.Equal(g.Body, want.Body) {
				return fmt.Errorf("%s entry %d = %+v, want %+v (arrival order)", name, i, g, want)
			}
		}
		return nil
	}
	if got, err := s.UserEntries(ctx, "t1", "uid-1"); err != nil {
		t.Fatal(err)
	} else if err := checkHistory("UserEntries", got); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserEntries(ctx, "t1", "uid-none"); err != nil || len(got) != 0 {
		t.Fatalf("UserEntries of a user without history = %v, %v; want none", got, err)
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		got, err := tx.Entries(ctx, "t1", "uid-1")
		if err != nil {
			return err
		}
		if err := checkHistory("Entries", got); err != nil {
			return err
		}
		seen, err := tx.EventByID(ctx, "t1", vigil.Consumer, "e1")
		if err != nil || !sameEntry(seen, event) {
			return fmt.Errorf("EventByID in tx = %+v, %v", seen, err)
		}
		return nil
	})
	if got, err := s.Event(ctx, "t1", vigil.Consumer, "e1"); err != nil || !sameEntry(got, event) {
		t.Fatalf("Event = %+v, %v; want %+v", got, err, event)
	}
	if got, err := s.Event(ctx, "t1", vigil.Consumer, "generated"); err != nil || got.RequestHash != nil {
		t.Fatalf("Event without hash = %+v, %v; want a nil RequestHash", got, err)
	}
	if _, err := s.Event(ctx, "t1", vigil.Consumer, "nope"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("Event(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.Event(ctx, "t3", vigil.Consumer, "e1"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("Event in another tenant = %v, want ErrNotFound", err)
	}
}

func sameEntry(a, b vigil.Entry) bool {
	return a.TenantID == b.TenantID && a.UserUID == b.UserUID && a.Seq == b.Seq && a.Type == b.Type &&
		a.Timestamp == b.Timestamp && a.EventKind == b.EventKind && a.EventID == b.EventID &&
		bytes.Equal(a.Body, b.Body) && bytes.Equal(a.RequestHash, b.RequestHash) &&
		bytes.Equal(a.Evaluation, b.Evaluation) && bytes.Equal(a.Response, b.Response) && bytes.Equal(a.Shadow, b.Shadow) &&
		a.CreatedAt == b.CreatedAt
}

func testFailedUnit(t *testing.T, s vigil.Store) {
	refused := errors.New("refused")
	err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.InsertUser(ctx, sampleUser("t1", "uid-1", "alice")); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("Update = %v, want the unit's error", err)
	}
	if _, err := s.User(context.Background(), "t1", "alice"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("user of a failed unit: %v, want ErrNotFound", err)
	}
}

// testSerialisedUser runs read-modify-write units on one user from many goroutines: with the
// lock held by LockUser, no increment is lost.
func testSerialisedUser(t *testing.T, s vigil.Store) {
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.InsertUser(ctx, sampleUser("t1", "uid-1", "alice"))
	})
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- update(t, s, func(ctx context.Context, tx vigil.Tx) error {
				u, err := tx.LockUser(ctx, "t1", "alice")
				if err != nil {
					return err
				}
				u.LastSeq++
				return tx.UpdateUser(ctx, u)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if u, err := s.User(context.Background(), "t1", "alice"); err != nil || u.LastSeq != n+1 {
		t.Fatalf("LastSeq = %d, %v; want %d (no lost update)", u.LastSeq, err, n+1)
	}
}

// testRacingInserts checks that concurrent first inserts of one user leave exactly one, and
// that every loser sees ErrDuplicate (which the service retries).
func testRacingInserts(t *testing.T, s vigil.Store) {
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- update(t, s, func(ctx context.Context, tx vigil.Tx) error {
				if _, err := tx.LockUser(ctx, "t1", "alice"); err == nil {
					return vigil.ErrDuplicate
				}
				return tx.InsertUser(ctx, sampleUser("t1", fmt.Sprint("uid-", i), "alice"))
			})
		}()
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, vigil.ErrDuplicate):
			t.Fatalf("racing insert: %v, want success or ErrDuplicate", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d racing inserts succeeded, want 1", won)
	}
}

func testRiskModels(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	if _, err := s.RiskModel(ctx, "t1"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("RiskModel before any = %v, want ErrNotFound", err)
	}
	first := vigil.RiskModelRecord{TenantID: "t1", Version: "v1", Document: []byte(`{"name":"a"}`), UpdatedAt: 1}
	second := vigil.RiskModelRecord{TenantID: "t1", Version: "v2", Document: []byte(`{"name":"b"}`), UpdatedAt: 2}
	for _, m := range []vigil.RiskModelRecord{first, second} {
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.PutRiskModel(ctx, m) })
	}
	got, err := s.RiskModel(ctx, "t1")
	if err != nil || got.Version != "v2" || !bytes.Equal(got.Document, second.Document) || got.UpdatedAt != 2 {
		t.Fatalf("RiskModel = %+v, %v; want the second model", got, err)
	}
	if _, err := s.RiskModel(ctx, "t2"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("another tenant's model = %v, want ErrNotFound", err)
	}
}

func testRules(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	if _, err := s.RuleSetVersion(ctx, "t1"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("RuleSetVersion before any rule = %v, want ErrNotFound", err)
	}
	put := func(id, version, doc string, at int64) {
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
			return tx.PutRule(ctx, vigil.RuleRecord{TenantID: "t1", RuleInstanceID: id, VersionID: version, Document: []byte(doc), UpdatedAt: at})
		})
	}
	put("R-2", "v1", `{"a":1}`, 1)
	put("R-1", "v2", `{"b":1}`, 2)
	put("R-1", "v3", `{"b":2}`, 3)
	if v, err := s.RuleSetVersion(ctx, "t1"); err != nil || v != "v3" {
		t.Fatalf("RuleSetVersion = %q, %v; want v3", v, err)
	}
	rs, err := s.Rules(ctx, "t1")
	if err != nil || len(rs) != 2 || rs[0].RuleInstanceID != "R-1" || string(rs[0].Document) != `{"b":2}` || rs[0].VersionID != "v3" {
		t.Fatalf("Rules = %+v, %v", rs, err)
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteRule(ctx, "t1", "R-1", "v4", 4) })
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteRule(ctx, "t1", "R-1", "v5", 5) }); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("deleting a deleted rule: %v, want ErrNotFound", err)
	}
	if v, _ := s.RuleSetVersion(ctx, "t1"); v != "v4" {
		t.Fatalf("RuleSetVersion after delete = %q, want v4", v)
	}
	versions, err := s.RuleVersions(ctx, "t1", "R-1")
	if err != nil || len(versions) != 3 || versions[0].VersionID != "v2" || versions[2].VersionID != "v4" || versions[2].Document != nil {
		t.Fatalf("RuleVersions = %+v, %v; want v2, v3 and the deletion v4", versions, err)
	}
	if rs, _ := s.Rules(ctx, "t1"); len(rs) != 1 {
		t.Fatalf("Rules after delete = %+v", rs)
	}
	if rs, _ := s.Rules(ctx, "t2"); len(rs) != 0 {
		t.Fatalf("another tenant's rules = %+v", rs)
	}
}

// testUpdateAll runs units that depend on the ones before them (each increments a user's
// LastSeq), with failing units among them, and checks order, isolation and the final state: with
// failures from the first units on, only after more than a chunk or group of successes, and
// with none.
func testUpdateAll(t *testing.T, s vigil.Store) {
	const n = 450 // more than one chunk or group
	for _, tc := range []struct {
		user  string
		fails func(i int) bool
	}{
		{"alice", func(i int) bool { return i%7 == 3 }},
		{"bob", func(i int) bool { return i >= 300 && i%7 == 3 }},
		{"carol", func(int) bool { return false }},
	} {
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
			return tx.InsertUser(ctx, sampleUser("t1", "uid-"+tc.user, tc.user))
		})
		// seen[i] is what unit i saw in its last run (a unit may run more than once; see Update).
		seen := make([]int64, n)
		fns := make([]func(vigil.Tx) error, n)
		for i := range fns {
			fns[i] = func(tx vigil.Tx) error {
				ctx := context.Background()
				u, err := tx.LockUser(ctx, "t1", tc.user)
				if err != nil {
					return err
				}
				u.LastSeq++
				if err := tx.UpdateUser(ctx, u); err != nil {
					return err
				}
				if tc.fails(i) {
					return errors.New("refused") // its increment must not stay
				}
				seen[i] = u.LastSeq
				return nil
			}
		}
		errs, err := s.UpdateAll(context.Background(), fns)
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for i, e := range errs {
			if tc.fails(i) != (e != nil) {
				t.Fatalf("%s: unit %d: err = %v", tc.user, i, e)
			}
			if e != nil {
				failed++
			}
		}
		want := int64(2)
		for i, v := range seen {
			if tc.fails(i) {
				continue
			}
			if v != want {
				t.Fatalf("%s: unit %d saw LastSeq %d, want %d: units out of order or a failed unit leaked", tc.user, i, v, want)
			}
			want++
		}
		u, err := s.User(context.Background(), "t1", tc.user)
		if err != nil || u.LastSeq != int64(1+n-failed) {
			t.Fatalf("%s: LastSeq = %d, %v; want %d", tc.user, u.LastSeq, err, 1+n-failed)
		}
	}
}

func testWebhookEndpoints(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	e := vigil.WebhookEndpoint{TenantID: "t1", ID: "w1", URL: "http://127.0.0.1:9/hook", Events: []string{"A", "B"},
		Origin: "ALL", Secrets: []vigil.WebhookSecret{{Secret: "s1"}, {Secret: "s0", ExpiresAt: 99}}, Enabled: true, CreatedAt: 5}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.PutWebhookEndpoint(ctx, e) })
	got, err := s.WebhookEndpoints(ctx, "t1")
	if err != nil || len(got) != 1 || got[0].URL != e.URL || len(got[0].Events) != 2 || len(got[0].Secrets) != 2 ||
		got[0].Secrets[1].ExpiresAt != 99 || !got[0].Enabled || got[0].Origin != "ALL" {
		t.Fatalf("WebhookEndpoints = %+v, %v", got, err)
	}
	e.Enabled, e.Events = false, nil
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.PutWebhookEndpoint(ctx, e) })
	if got, _ := s.WebhookEndpoints(ctx, "t1"); got[0].Enabled || got[0].Events != nil {
		t.Fatalf("after update: %+v", got)
	}
	if got, _ := s.WebhookEndpoints(ctx, "t2"); len(got) != 0 {
		t.Fatalf("another tenant sees %+v", got)
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteWebhookEndpoint(ctx, "t1", "w1") })
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteWebhookEndpoint(ctx, "t1", "w1") }); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func delivery(id, key string, seq int64) vigil.Delivery {
	return vigil.Delivery{ID: id, TenantID: "t1", EndpointID: "w1", OrderKey: key, Seq: seq, Type: "T",
		Payload: []byte(`{"id":"` + id + `"}`), Status: vigil.DeliveryPending, NextAttemptAt: 100, CreatedAt: 100}
}

func ids(ds []vigil.Delivery) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return fmt.Sprint(out)
}

// testOutbox checks what the dispatcher relies on: per-key order, leases held by one caller, the
// three-failure release, and retries.
func testOutbox(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		for _, d := range []vigil.Delivery{delivery("a1", "userA", 1), delivery("a2", "userA", 2), delivery("b1", "userB", 1)} {
			if err := tx.InsertDelivery(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	claimed, err := s.ClaimDeliveries(ctx, vigil.DeliveryClaim{Now: 100, LeaseUntil: 200, Limit: 10})
	if err != nil || ids(claimed) != "[a1 b1]" {
		t.Fatalf("first claim = %s, %v; want the first delivery of each user", ids(claimed), err)
	}
	if again, _ := s.ClaimDeliveries(ctx, vigil.DeliveryClaim{Now: 150, LeaseUntil: 250, Limit: 10}); len(again) != 0 {
		t.Fatalf("leased deliveries were claimed again: %s", ids(again))
	}
	// a1 fails three times: then a2 is no longer held back.
	d := claimed[0]
	for attempt := 1; attempt <= 3; attempt++ {
		d.Attempts, d.NextAttemptAt, d.LastError = attempt, 100, "down"
		if err := s.FinishAttempt(ctx, d, vigil.DeliveryAttempt{DeliveryID: "a1", Attempt: attempt, At: 100, Error: "down"}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ClaimDeliveries(ctx, vigil.DeliveryClaim{Now: 100, LeaseUntil: 200, Limit: 10})
		want := "[a1]"
		if attempt == 3 {
			want = "[a1 a2]"
		}
		if ids(got) != want {
			t.Fatalf("after %d failures: claimed %s, want %s", attempt, ids(got), want)
		}
		if attempt < 3 {
			d = got[0]
		}
	}
	b := claimed[1]
	b.Status, b.Attempts, b.DeliveredAt, b.LastStatus = vigil.DeliveryDelivered, 1, 120, 200
	if err := s.FinishAttempt(ctx, b, vigil.DeliveryAttempt{DeliveryID: "b1", Attempt: 1, At: 110, StatusCode: 200, DurationMs: 3}); err != nil {
		t.Fatal(err)
	}
	got, attempts, err := s.Delivery(ctx, "t1", "b1")
	if err != nil || got.Status != vigil.DeliveryDelivered || len(attempts) != 1 || attempts[0].StatusCode != 200 {
		t.Fatalf("Delivery = %+v %+v %v", got, attempts, err)
	}
	if _, _, err := s.Delivery(ctx, "t2", "b1"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("another tenant reads a delivery: %v", err)
	}
	b.Status = vigil.DeliveryFailed
	if err := s.FinishAttempt(ctx, b, vigil.DeliveryAttempt{DeliveryID: "b1", Attempt: 2, At: 130}); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.RetryDelivery(ctx, "t1", "b1", 300) })
	if got, _ := s.ClaimDeliveries(ctx, vigil.DeliveryClaim{Now: 300, LeaseUntil: 400, Limit: 10}); !strings.Contains(ids(got), "b1") {
		t.Fatalf("a retried delivery was not due: %s", ids(got))
	}
	listed, err := s.Deliveries(ctx, "t1", "w1", vigil.DeliveryPending, 10)
	if err != nil || len(listed) != 3 {
		t.Fatalf("pending deliveries = %s, %v", ids(listed), err)
	}
}

// testConfigVersion checks that every change of a tenant's risk model, rules or webhook
// endpoints moves its configuration version, and nothing else's change does.
func testConfigVersion(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	if _, err := s.ConfigVersion(ctx, "t1"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("ConfigVersion of an unknown tenant = %v, want ErrNotFound", err)
	}
	for _, tn := range []vigil.Tenant{{ID: "t1", Name: "acme"}, {ID: "t2", Name: "other"}} {
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.CreateTenant(ctx, tn) })
	}
	endpoint := vigil.WebhookEndpoint{TenantID: "t1", ID: "w1", URL: "http://127.0.0.1:9/hook", Origin: "ALL", Enabled: true}
	changes := []struct {
		name   string
		change func(ctx context.Context, tx vigil.Tx) error
	}{
		{"risk model", func(ctx context.Context, tx vigil.Tx) error {
			return tx.PutRiskModel(ctx, vigil.RiskModelRecord{TenantID: "t1", Version: "m1", Document: []byte(`{}`)})
		}},
		{"rule put", func(ctx context.Context, tx vigil.Tx) error {
			return tx.PutRule(ctx, vigil.RuleRecord{TenantID: "t1", RuleInstanceID: "R-1", VersionID: "v1", Document: []byte(`{}`)})
		}},
		{"rule deleted", func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteRule(ctx, "t1", "R-1", "v2", 2) }},
		{"endpoint added", func(ctx context.Context, tx vigil.Tx) error { return tx.PutWebhookEndpoint(ctx, endpoint) }},
		{"endpoint removed", func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteWebhookEndpoint(ctx, "t1", "w1") }},
	}
	last, err := s.ConfigVersion(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		mustUpdate(t, s, c.change)
		v, err := s.ConfigVersion(ctx, "t1")
		if err != nil || v == last {
			t.Fatalf("after %s: version %d (before %d), %v; want a new version", c.name, v, last, err)
		}
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
			if inTx, err := tx.ConfigVersion(ctx, "t1"); err != nil || inTx != v {
				return fmt.Errorf("ConfigVersion in a transaction = %d, %v; want %d", inTx, err, v)
			}
			return nil
		})
		last = v
	}
	if v, err := s.ConfigVersion(ctx, "t2"); err != nil || v != 0 {
		t.Fatalf("another tenant's version = %d, %v; want 0 (untouched)", v, err)
	}
}

// testLatestResponse checks the read that spares the write path a full row: the response of the
// user's newest entry that has one (system entries have none).
func testLatestResponse(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	u := sampleUser("t1", "uid-1", "alice")
	u.LastSeq, u.Evaluation = 3, []byte{}
	entries := []vigil.Entry{
		{TenantID: "t1", UserUID: "uid-1", Seq: 1, Type: vigil.EntryCreate, Body: []byte(`{}`), Response: []byte(`{"r":1}`)},
		{TenantID: "t1", UserUID: "uid-1", Seq: 2, Type: vigil.EntryEvent, EventKind: vigil.Consumer, EventID: "e1", Body: []byte(`{}`), Response: []byte(`{"r":2}`)},
		{TenantID: "t1", UserUID: "uid-1", Seq: 3, Type: vigil.EntrySystem, Body: []byte(`{}`)},
	}
	bob := sampleUser("t1", "uid-2", "bob") // no entries
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		for _, user := range []vigil.UserRecord{u, bob} {
			if err := tx.InsertUser(ctx, user); err != nil {
				return err
			}
		}
		for _, e := range entries {
			if err := tx.InsertEntry(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if r, err := tx.LatestResponse(ctx, "t1", "uid-1"); err != nil || string(r) != `{"r":2}` {
			return fmt.Errorf("LatestResponse = %s, %v; want the event's", r, err)
		}
		if _, err := tx.LatestResponse(ctx, "t1", "uid-2"); !errors.Is(err, vigil.ErrNotFound) {
			return fmt.Errorf("LatestResponse without entries = %v, want ErrNotFound", err)
		}
		return nil
	})
	got, response, err := s.UserWithResponse(ctx, "t1", "alice")
	if err != nil || got.UID != "uid-1" || got.LastSeq != 3 || string(got.Profile) != string(u.Profile) || len(got.Evaluation) != 0 || string(response) != `{"r":2}` {
		t.Fatalf("UserWithResponse = %+v, %s, %v", got, response, err)
	}
	if got, response, err := s.UserWithResponse(ctx, "t1", "bob"); err != nil || got.UID != "uid-2" || response != nil {
		t.Fatalf("UserWithResponse without entries = %+v, %s, %v", got, response, err)
	}
	if _, _, err := s.UserWithResponse(ctx, "t1", "nobody"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("UserWithResponse of nobody = %v, want ErrNotFound", err)
	}
}

// testWriteUser checks WriteUser: a create and an update with their entries and deliveries, an
// update of a user that is gone, and a failing entry that leaves none of its write behind.
func testWriteUser(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	u := sampleUser("t1", "uid-1", "alice")
	entry := func(seq int64, eventID string) vigil.Entry {
		return vigil.Entry{TenantID: "t1", UserUID: "uid-1", Seq: seq, Type: vigil.EntryEvent, EventKind: vigil.Consumer,
			EventID: eventID, Body: []byte(`{}`), Response: []byte(`{"seq":` + fmt.Sprint(seq) + `}`)}
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.WriteUser(ctx, u, true, []vigil.Entry{entry(1, "e1")}, []vigil.Delivery{delivery("d1", "uid-1", 1)}, auditRecord("t1", "a1", 1))
	})
	u.LastSeq, u.Profile = 3, []byte(`{"userId":"alice","v":2}`)
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.WriteUser(ctx, u, false, []vigil.Entry{entry(2, "e2"), entry(3, "e3")}, nil, auditRecord("t1", "a2", 2))
	})
	got, response, err := s.UserWithResponse(ctx, "t1", "alice")
	if err != nil || got.LastSeq != 3 || string(got.Profile) != string(u.Profile) || string(response) != `{"seq":3}` {
		t.Fatalf("after two writes: %+v, %s, %v", got, response, err)
	}
	if claimed, err := s.ClaimDeliveries(ctx, vigil.DeliveryClaim{Now: 100, LeaseUntil: 200, Limit: 10}); err != nil || ids(claimed) != "[d1]" {
		t.Fatalf("deliveries after the create = %s, %v; want d1", ids(claimed), err)
	}

	gone := sampleUser("t1", "uid-gone", "ghost")
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.WriteUser(ctx, gone, false, nil, nil, auditRecord("t1", "a-gone", 3))
	}); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("updating a user that is gone = %v, want ErrNotFound", err)
	}

	u.LastSeq, u.Profile = 4, []byte(`{"userId":"alice","v":3}`)
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.WriteUser(ctx, u, false, []vigil.Entry{entry(4, "e1")}, nil, auditRecord("t1", "a-dup", 4)) // e1 is taken
	}); !errors.Is(err, vigil.ErrDuplicate) {
		t.Fatalf("a write whose entry reuses an eventId = %v, want ErrDuplicate", err)
	}
	if got, _ := s.User(ctx, "t1", "alice"); got.LastSeq != 3 || string(got.Profile) != `{"userId":"alice","v":2}` {
		t.Fatalf("the failed write changed the user: %+v", got)
	}
	wantAudited(t, s, "t1", []string{"a1", "a2"}) // the stored writes' records, not the failed ones'
}

// testWriteUserIf checks the conditional write of an update computed before its transaction: it
// stores the row and its entries only while the user's id, UID and LastSeq and the tenant's
// configuration version are what it was based on, and otherwise writes nothing.
func testWriteUserIf(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		for _, u := range []vigil.UserRecord{sampleUser("t1", "uid-1", "alice"), sampleUser("t2", "uid-9", "alice")} {
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	current := vigil.UserVersion{UserID: "alice", UID: "uid-1", LastSeq: 1} // no tenant row: version 0
	seq := int64(1)
	write := func(based vigil.UserVersion) (bool, error) {
		u := sampleUser("t1", "uid-1", "alice")
		u.LastSeq, u.Profile = seq+1, []byte(fmt.Sprintf(`{"userId":"alice","n":%d}`, seq+1))
		entry := vigil.Entry{TenantID: "t1", UserUID: "uid-1", Seq: seq + 1, Type: vigil.EntryEvent, EventKind: vigil.Consumer,
			EventID: fmt.Sprintf("e%d", seq+1), Body: []byte(`{}`), Response: []byte(`{}`)}
		var done bool
		err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
			var err error
			done, err = tx.WriteUserIf(ctx, based, u, []vigil.Entry{entry}, []vigil.Delivery{delivery(entry.EventID, entry.EventID, seq+1)},
				auditRecord("t1", entry.EventID, seq+1))
			return err
		})
		if done && err == nil {
			seq++
		}
		return done, err
	}
	moved := func(change func(*vigil.UserVersion)) vigil.UserVersion {
		v := current
		change(&v)
		return v
	}
	for _, tc := range []struct {
		name  string
		based func() vigil.UserVersion
		want  bool
	}{
		{"current, without a tenant row", func() vigil.UserVersion { return current }, true},
		{"an older LastSeq", func() vigil.UserVersion { return moved(func(v *vigil.UserVersion) { v.LastSeq = seq - 1 }) }, false},
		{"the current LastSeq", func() vigil.UserVersion { return moved(func(v *vigil.UserVersion) { v.LastSeq = seq }) }, true},
		{"another UID", func() vigil.UserVersion {
			return moved(func(v *vigil.UserVersion) { v.UID, v.LastSeq = "uid-9", seq })
		}, false},
		{"another user id", func() vigil.UserVersion {
			return moved(func(v *vigil.UserVersion) { v.UserID, v.LastSeq = "bob", seq })
		}, false},
		{"a configuration version the tenant does not have", func() vigil.UserVersion {
			return moved(func(v *vigil.UserVersion) { v.LastSeq, v.ConfigVersion = seq, 7 })
		}, false},
	} {
		based := tc.based()
		done, err := write(based)
		if err != nil || done != tc.want {
			t.Fatalf("%s: WriteUserIf(%+v) = %v, %v; want %v", tc.name, based, done, err, tc.want)
		}
		got, err := s.User(ctx, "t1", "alice")
		if err != nil || got.LastSeq != seq || string(got.Profile) != fmt.Sprintf(`{"userId":"alice","n":%d}`, seq) && seq > 1 {
			t.Fatalf("%s: user after = %+v, %v; want LastSeq %d", tc.name, got, err, seq)
		}
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
			if history, err := tx.Entries(ctx, "t1", "uid-1"); err != nil || int64(len(history)) != seq-1 {
				return fmt.Errorf("%s: %d entries, %v; want %d", tc.name, len(history), err, seq-1)
			}
			return nil
		})
	}
	// Once the tenant's configuration moves, only its new version passes.
	var config int64
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.CreateTenant(ctx, vigil.Tenant{ID: "t1", Name: "acme"}); err != nil {
			return err
		}
		if err := tx.PutRiskModel(ctx, vigil.RiskModelRecord{TenantID: "t1", Version: "m1", Document: []byte(`{}`)}); err != nil {
			return err
		}
		var err error
		config, err = tx.ConfigVersion(ctx, "t1")
		return err
	})
	for _, tc := range []struct {
		config int64
		want   bool
	}{{0, false}, {config, true}} {
		if done, err := write(moved(func(v *vigil.UserVersion) { v.LastSeq, v.ConfigVersion = seq, tc.config })); err != nil || done != tc.want {
			t.Fatalf("configuration version %d of %d: WriteUserIf = %v, %v; want %v", tc.config, config, done, err, tc.want)
		}
	}
	if other, err := s.User(ctx, "t2", "alice"); err != nil || other.LastSeq != 1 {
		t.Fatalf("another tenant's user = %+v, %v; want it untouched", other, err)
	}
	// A write whose event reuses a stored eventId fails as a duplicate, and writes nothing.
	err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		u := sampleUser("t1", "uid-1", "alice")
		u.LastSeq = seq + 1
		entry := vigil.Entry{TenantID: "t1", UserUID: "uid-1", Seq: seq + 1, Type: vigil.EntryEvent, EventKind: vigil.Consumer,
			EventID: "e2", Body: []byte(`{}`)}
		_, err := tx.WriteUserIf(ctx, vigil.UserVersion{UserID: "alice", UID: "uid-1", LastSeq: seq, ConfigVersion: config}, u,
			[]vigil.Entry{entry}, []vigil.Delivery{delivery("e2-again", "e2", seq+1)}, auditRecord("t1", "e2-again", seq+1))
		return err
	})
	if !errors.Is(err, vigil.ErrDuplicate) {
		t.Fatalf("a write reusing eventId e2: %v, want ErrDuplicate", err)
	}
	if got, err := s.User(ctx, "t1", "alice"); err != nil || got.LastSeq != seq {
		t.Fatalf("user after the duplicate = %+v, %v; want LastSeq %d", got, err, seq)
	}
	// One delivery per stored write, none for the writes that did not pass.
	if claimed, err := s.ClaimDeliveries(ctx, vigil.DeliveryClaim{Now: 100, LeaseUntil: 200, Limit: 100}); err != nil || ids(claimed) != "[e2 e3 e4]" {
		t.Fatalf("deliveries = %s, %v; want those of the three stored writes", ids(claimed), err)
	}
	wantAudited(t, s, "t1", []string{"e2", "e3", "e4"}) // one audit record per stored write

}
