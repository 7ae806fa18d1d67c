package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// searchUser is a user of the search cases: its id, creation time and search terms.
func searchUser(tenant, uid, userID string, createdAt int64, terms ...string) vigil.UserRecord {
	u := sampleUser(tenant, uid, userID)
	u.CreatedAt = createdAt
	terms = append([]string{vigil.TermAll}, terms...)
	slices.Sort(terms)
	u.Terms, u.TermsAdded = strings.Join(terms, "\n"), terms
	return u
}

// retermed is u with its terms replaced, as a write that changed them stores it.
func retermed(u vigil.UserRecord, terms ...string) vigil.UserRecord {
	terms = append([]string{vigil.TermAll}, terms...)
	slices.Sort(terms)
	before := vigil.SplitTerms(u.Terms)
	u.TermsAdded, u.TermsRemoved = nil, nil
	for _, t := range terms {
		if !slices.Contains(before, t) {
			u.TermsAdded = append(u.TermsAdded, t)
		}
	}
	for _, t := range before {
		if !slices.Contains(terms, t) {
			u.TermsRemoved = append(u.TermsRemoved, t)
		}
	}
	u.Terms = strings.Join(terms, "\n")
	return u
}

// testSearchUsers: a search finds users by their terms through every write path (InsertUser,
// WriteUser, UpdateUser, WriteUserIf), newest first, one page after the other, and never an
// erased user or another tenant's.
func testSearchUsers(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	alice := searchUser("t1", "uid-a", "alice", 100, "id:alice", "name:alice smith", "name:smith", "state:ACTIVE", "kyc:SUCCESSFUL", "hit:R-1", "hit:R-1.1")
	bob := searchUser("t1", "uid-b", "bob", 200, "id:bob", "name:bob smith", "name:smith", "state:ACTIVE", "tag:vip", "tag:vip=yes")
	carol := searchUser("t1", "uid-c", "carol", 300, "id:carol", "email:carol@example.com", "state:SUSPENDED")
	dave := searchUser("t1", "uid-d", "dave", 300, "id:dave", "state:ACTIVE", "hit:R-1", "hit:R-1.1", "pfx:smi") // same time as carol: uid orders them
	other := searchUser("t2", "uid-o", "alice", 150, "id:alice", "state:ACTIVE")
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.InsertUser(ctx, alice); err != nil {
			return err
		}
		for _, u := range []vigil.UserRecord{bob, carol, dave, other} {
			if err := tx.WriteUser(ctx, u, true, nil, nil, auditRecord(u.TenantID, "a-"+u.UID, 1)); err != nil {
				return err
			}
		}
		return nil
	})
	// Alice is suspended by a write computed ahead (and R-1 no longer hits her), Bob loses his
	// tag by a plain update.
	alice2 := retermed(alice, "id:alice", "name:alice smith", "name:smith", "state:SUSPENDED", "kyc:SUCCESSFUL", "pfx:smi")
	alice2.LastSeq = 2
	bob2 := retermed(bob, "id:bob", "name:bob smith", "name:smith", "state:ACTIVE", "pfx:smi")
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		done, err := tx.WriteUserIf(ctx, vigil.UserVersion{UserID: "alice", UID: "uid-a", LastSeq: 1}, alice2, nil, nil, auditRecord("t1", "a-alice2", 2))
		if err == nil && !done {
			t.Error("WriteUserIf on the current version did not write")
		}
		return err
	})
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.UpdateUser(ctx, bob2) })
	// Carol is erased.
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		rec, err := tx.LockUser(ctx, "t1", "carol")
		if err != nil {
			return err
		}
		return tx.EraseUser(ctx, vigil.Erasure{User: rec, Key: vigil.ErasedUserKey("t1", "carol"), At: 400,
			QuotedID: `"carol"`, Redacted: `"[erased]"`})
	})

	for _, tc := range []struct {
		name string
		q    vigil.UserQuery
		want []string
	}{
		{"everyone, newest first, ties by uid", vigil.UserQuery{}, []string{"dave", "bob", "alice"}},
		{"one filter", vigil.UserQuery{All: []string{"state:ACTIVE"}}, []string{"dave", "bob"}},
		{"a changed filter value (WriteUserIf)", vigil.UserQuery{All: []string{"state:SUSPENDED"}}, []string{"alice"}},
		{"a removed term (UpdateUser)", vigil.UserQuery{All: []string{"tag:vip"}}, nil},
		{"a rule that hit, gone from a later write", vigil.UserQuery{All: []string{"hit:R-1.1"}}, []string{"dave"}},
		{"a rule that hit with a filter", vigil.UserQuery{All: []string{"hit:R-1", "state:ACTIVE"}}, []string{"dave"}},
		{"two filters", vigil.UserQuery{All: []string{"state:SUSPENDED", "kyc:SUCCESSFUL"}}, []string{"alice"}},
		{"two filters nobody has", vigil.UserQuery{All: []string{"state:ACTIVE", "kyc:SUCCESSFUL"}}, nil},
		{"a prefix of several fields", vigil.UserQuery{Any: []string{"id:smi", "name:smi", "email:smi"}, AnyPrefix: true}, []string{"bob", "alice"}},
		{"a prefix with a filter", vigil.UserQuery{Any: []string{"id:smi", "name:smi"}, AnyPrefix: true, All: []string{"state:ACTIVE"}}, []string{"bob"}},
		{"a prefix checked on each user", vigil.UserQuery{Any: []string{"id:smi", "name:smi", "email:smi"}, AnyPrefix: true, AnyByUser: true},
			[]string{"bob", "alice"}},
		{"a prefix checked on each user of a filter", vigil.UserQuery{Any: []string{"id:smi", "name:smi"}, AnyPrefix: true, AnyByUser: true,
			All: []string{"state:ACTIVE"}}, []string{"bob"}},
		{"a prefix checked on each user of its short term", vigil.UserQuery{Any: []string{"id:smit", "name:smit"}, AnyPrefix: true, AnyByUser: true,
			AnyDrive: "pfx:smi"}, []string{"bob", "alice"}},
		{"a short term alone", vigil.UserQuery{All: []string{"pfx:smi"}}, []string{"dave", "bob", "alice"}},
		{"an exact match checked on each user", vigil.UserQuery{Any: []string{"id:alice", "name:alice"}, AnyByUser: true}, []string{"alice"}},
		{"a prefix checked on each user, after a cursor", vigil.UserQuery{Any: []string{"name:smi"}, AnyPrefix: true, AnyByUser: true,
			AfterCreatedAt: 200, AfterUID: "uid-b"}, []string{"alice"}},
		{"an exact match is not a prefix", vigil.UserQuery{Any: []string{"id:ali", "name:ali"}}, nil},
		{"an exact match", vigil.UserQuery{Any: []string{"id:alice", "name:alice"}}, []string{"alice"}},
		{"an erased user's terms", vigil.UserQuery{Any: []string{"email:carol"}, AnyPrefix: true}, nil},
		{"created from", vigil.UserQuery{CreatedFrom: 200}, []string{"dave", "bob"}},
		{"created to", vigil.UserQuery{All: []string{"state:ACTIVE"}, CreatedTo: 200}, []string{"bob"}},
		{"after a cursor", vigil.UserQuery{AfterCreatedAt: 300, AfterUID: "uid-d"}, []string{"bob", "alice"}},
		{"a limit", vigil.UserQuery{Limit: 1}, []string{"dave"}},
	} {
		q := tc.q
		if q.Limit == 0 {
			q.Limit = 10
		}
		got, err := s.SearchUsers(ctx, "t1", q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var ids []string
		for _, u := range got {
			ids = append(ids, u.UserID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%s: found %v, want %v", tc.name, ids, tc.want)
		}
	}
	got, err := s.SearchUsers(ctx, "t1", vigil.UserQuery{All: []string{"state:SUSPENDED"}, Limit: 5})
	if err != nil || len(got) != 1 || got[0].Terms != alice2.Terms || string(got[0].Profile) != string(alice2.Profile) {
		t.Fatalf("a found user = %+v, %v; want the whole row, with its terms", got, err)
	}
}
