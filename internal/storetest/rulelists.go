package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// testRuleLists: a list is read back by its tenant and key; storing a key again (a retried write,
// two writers racing) keeps the first and is not an error; other tenants' keys are not found.
func testRuleLists(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	first := vigil.RuleList{TenantID: "t1", Key: "k1", Document: []byte(`[{"i":"R-1.1","v":"v1","a":"FLAG"}]`)}
	for range 2 {
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.PutRuleList(ctx, first) })
	}
	again := first
	again.Document = []byte(`[]`)
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.PutRuleList(ctx, again) })
	if doc, err := s.RuleList(ctx, "t1", "k1"); err != nil || string(doc) != string(first.Document) {
		t.Errorf("RuleList(t1, k1) = %s, %v; want the first document", doc, err)
	}
	for _, tc := range []struct{ tenant, key string }{{"t2", "k1"}, {"t1", "k2"}} {
		if _, err := s.RuleList(ctx, tc.tenant, tc.key); !errors.Is(err, vigil.ErrNotFound) {
			t.Errorf("RuleList(%s, %s): %v, want ErrNotFound", tc.tenant, tc.key, err)
		}
	}
}
