package vigil_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// dropTerms takes the search terms drop selects away from a user's row, as a database written by
// an earlier version lacks them.
func dropTerms(t *testing.T, f *fixture, userID string, drop func(term string) bool) {
	t.Helper()
	ctx := context.Background()
	err := f.store.Update(ctx, func(tx vigil.Tx) error {
		rec, err := tx.LockUser(ctx, f.tenant.ID, userID)
		if err != nil {
			return err
		}
		var kept []string
		for _, term := range vigil.SplitTerms(rec.Terms) {
			if drop(term) {
				rec.TermsRemoved = append(rec.TermsRemoved, term)
			} else {
				kept = append(kept, term)
			}
		}
		rec.Terms = strings.Join(kept, "\n")
		if rec.Evaluation == nil {
			rec.Evaluation = []byte{} // read back as nil when empty; the column is NOT NULL
		}
		return tx.UpdateUser(ctx, rec)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIndexUsers: users whose rows have no search terms (written before the store kept them), or
// no short prefix terms (written before those), are found by no search that needs them until
// IndexUsers indexes them, once.
func TestIndexUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		for _, body := range []string{`{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ann"}}}`,
			`{"userId":"u2","createdTimestamp":1700000000000,"userStateDetails":{"state":"ACTIVE"}}`,
			`{"userId":"u3","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Bo","lastName":"Smith"}}}`} {
			f.createAs(t, vigil.Consumer, body, vigil.Flags{})
		}
		// u3 keeps every term but its short prefixes, as a database of the version before has it.
		dropTerms(t, f, "u3", func(term string) bool { return strings.HasPrefix(term, vigil.TermShort) })
		// Take their terms away, as an upgraded database has them.
		for _, id := range []string{"u1", "u2"} {
			dropTerms(t, f, id, func(string) bool { return true })
		}
		count := func(in vigil.UserSearch) int {
			t.Helper()
			reply, err := f.svc.SearchUsers(ctx, f.tenant, in)
			if err != nil {
				t.Fatal(err)
			}
			return len(obj(t, string(reply))["users"].([]any))
		}
		if n := count(vigil.UserSearch{}); n != 1 {
			t.Fatalf("before indexing, %d users listed, want u3 alone", n)
		}
		if n := count(vigil.UserSearch{Query: "smi"}); n != 0 {
			t.Fatalf("before indexing, a short prefix found %d users", n)
		}
		if n, err := f.svc.IndexUsers(ctx); err != nil || n != 3 {
			t.Fatalf("IndexUsers = %d, %v; want 3", n, err)
		}
		if n, err := f.svc.IndexUsers(ctx); err != nil || n != 0 {
			t.Fatalf("IndexUsers again = %d, %v; want 0", n, err)
		}
		for _, in := range []vigil.UserSearch{{}, {Query: "ann"}, {State: "ACTIVE"}, {Query: "smi"}, {Query: "SMIth"}} {
			want := 1
			if in == (vigil.UserSearch{}) {
				want = 3
			}
			if n := count(in); n != want {
				t.Errorf("after indexing, %+v lists %d users, want %d", in, n, want)
			}
		}
	})
}

// TestSearchByRuleHit: a user is found by a rule that hit at its latest write, by the rule's id
// or its instance's, through creates, events and batches; a later write that no longer hits
// takes it out, and IndexUsers gives the hits back to a user indexed without them.
func TestSearchByRuleHit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		// R-U4 (KYC failed) hits u1 and u3 at their creation; u2 is clean.
		f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"kycStatusDetails":{"status":"FAILED"}}`, vigil.Flags{})
		f.create(t, `{"userId":"u2","createdTimestamp":1700000000000,"kycStatusDetails":{"status":"SUCCESSFUL"}}`, vigil.Flags{})
		f.batch(t, vigil.BatchConsumerUsers, `{"data":[{"userId":"u3","createdTimestamp":1700000000000,"kycStatusDetails":{"status":"FAILED"}}]}`, vigil.Flags{})
		found := func(in vigil.UserSearch) []string {
			t.Helper()
			reply, err := f.svc.SearchUsers(ctx, f.tenant, in)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, u := range obj(t, string(reply))["users"].([]any) {
				ids = append(ids, u.(schema.Object)["userId"].(string))
			}
			return ids
		}
		check := func(when string, in vigil.UserSearch, want ...string) {
			t.Helper()
			if got := found(in); !slices.Equal(got, want) {
				t.Errorf("%s: %+v found %v, want %v", when, in, got, want)
			}
		}
		check("after the creates", vigil.UserSearch{RuleHit: "R-U4.1"}, "u3", "u1")
		check("by the rule's id", vigil.UserSearch{RuleHit: "R-U4"}, "u3", "u1")
		check("a rule nobody hit", vigil.UserSearch{RuleHit: "R-U1"})
		check("with another filter", vigil.UserSearch{RuleHit: "R-U4", Query: "u1"}, "u1")
		// u1's KYC succeeds: its latest write hits nothing. u2's fails, by an event.
		for _, body := range []string{
			`{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"kycStatusDetails":{"status":"SUCCESSFUL"}}}`,
			`{"userId":"u2","timestamp":1700000001000,"updatedConsumerUserAttributes":{"kycStatusDetails":{"status":"EXPIRED"}}}`,
		} {
			if _, err := f.event(t, body, vigil.Flags{}); err != nil {
				t.Fatal(err)
			}
		}
		check("after the events", vigil.UserSearch{RuleHit: "R-U4.1"}, "u3", "u2")
		page := found(vigil.UserSearch{RuleHit: "R-U4.1", Limit: 1})
		if len(page) != 1 {
			t.Fatalf("a page of one: %v", page)
		}

		// Indexed without hits (a database of the version before): IndexUsers reads them back
		// from the latest stored response.
		dropTerms(t, f, "u2", func(string) bool { return true })
		check("unindexed", vigil.UserSearch{RuleHit: "R-U4.1"}, "u3")
		if n, err := f.svc.IndexUsers(ctx); err != nil || n != 1 {
			t.Fatalf("IndexUsers = %d, %v; want 1", n, err)
		}
		check("indexed again", vigil.UserSearch{RuleHit: "R-U4.1"}, "u3", "u2")
	})
}
