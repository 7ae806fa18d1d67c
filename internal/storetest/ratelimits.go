package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// testRateLimits checks that a tenant's own limit is stored, replaced and removed, and that the
// one read every server repeats lists exactly the tenants that have one.
func testRateLimits(t *testing.T, s vigil.Store) {
	for _, tn := range []vigil.Tenant{{ID: "t1", Name: "acme"}, {ID: "t2", Name: "other"}, {ID: "t3", Name: "quiet"}} {
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.CreateTenant(ctx, tn) })
	}
	steps := []struct {
		name   string
		change func(ctx context.Context, tx vigil.Tx) error
		want   string
	}{
		{"none yet", func(context.Context, vigil.Tx) error { return nil }, ""},
		{"first limit", func(ctx context.Context, tx vigil.Tx) error {
			return tx.PutRateLimit(ctx, vigil.RateLimit{TenantID: "t1", RPS: 2.5, Burst: 5, UpdatedAt: 10})
		}, "t1 2.5/5@10"},
		{"second tenant, an exemption", func(ctx context.Context, tx vigil.Tx) error {
			return tx.PutRateLimit(ctx, vigil.RateLimit{TenantID: "t2", RPS: 0, Burst: 0, UpdatedAt: 11})
		}, "t1 2.5/5@10 t2 0/0@11"},
		{"replaced", func(ctx context.Context, tx vigil.Tx) error {
			return tx.PutRateLimit(ctx, vigil.RateLimit{TenantID: "t1", RPS: 100, Burst: 1000, UpdatedAt: 12})
		}, "t1 100/1000@12 t2 0/0@11"},
		{"removed", func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteRateLimit(ctx, "t2") }, "t1 100/1000@12"},
		{"removing none is fine", func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteRateLimit(ctx, "t3") }, "t1 100/1000@12"},
	}
	for _, step := range steps {
		mustUpdate(t, s, step.change)
		if got := listRateLimits(t, s); got != step.want {
			t.Fatalf("after %s: limits %q, want %q", step.name, got, step.want)
		}
	}
	// A failed unit keeps none of its limit.
	boom := errors.New("boom")
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.PutRateLimit(ctx, vigil.RateLimit{TenantID: "t3", RPS: 1, Burst: 1}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failed unit: %v", err)
	}
	if got := listRateLimits(t, s); got != "t1 100/1000@12" {
		t.Fatalf("after a failed unit: limits %q", got)
	}
}

func listRateLimits(t *testing.T, s vigil.Store) string {
	t.Helper()
	list, err := s.RateLimits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, l := range list {
		parts = append(parts, fmt.Sprintf("%s %g/%d@%d", l.TenantID, l.RPS, l.Burst, l.UpdatedAt))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
