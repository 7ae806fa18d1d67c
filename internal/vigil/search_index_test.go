package vigil_test

import (
	"context"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestIndexUsers: users whose rows have no search terms (written before the store kept them) are
// found by no search until IndexUsers indexes them, once.
func TestIndexUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		for _, body := range []string{`{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ann"}}}`,
			`{"userId":"u2","createdTimestamp":1700000000000,"userStateDetails":{"state":"ACTIVE"}}`} {
			f.createAs(t, vigil.Consumer, body, vigil.Flags{})
		}
		// Take their terms away, as an upgraded database has them.
		for _, id := range []string{"u1", "u2"} {
			err := f.store.Update(ctx, func(tx vigil.Tx) error {
				rec, err := tx.LockUser(ctx, f.tenant.ID, id)
				if err != nil {
					return err
				}
				rec.TermsRemoved, rec.Terms = vigil.SplitTerms(rec.Terms), ""
				if rec.Evaluation == nil {
					rec.Evaluation = []byte{}
				}
				return tx.UpdateUser(ctx, rec)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		count := func(in vigil.UserSearch) int {
			t.Helper()
			reply, err := f.svc.SearchUsers(ctx, f.tenant, in)
			if err != nil {
				t.Fatal(err)
			}
			return len(obj(t, string(reply))["users"].([]any))
		}
		if n := count(vigil.UserSearch{}); n != 0 {
			t.Fatalf("before indexing, %d users listed", n)
		}
		if n, err := f.svc.IndexUsers(ctx); err != nil || n != 2 {
			t.Fatalf("IndexUsers = %d, %v; want 2", n, err)
		}
		if n, err := f.svc.IndexUsers(ctx); err != nil || n != 0 {
			t.Fatalf("IndexUsers again = %d, %v; want 0", n, err)
		}
		for _, in := range []vigil.UserSearch{{}, {Query: "ann"}, {State: "ACTIVE"}} {
			want := 1
			if in == (vigil.UserSearch{}) {
				want = 2
			}
			if n := count(in); n != want {
				t.Errorf("after indexing, %+v lists %d users, want %d", in, n, want)
			}
		}
	})
}
