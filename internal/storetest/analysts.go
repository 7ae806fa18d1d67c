package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// testAnalysts: analysts are found by email with their tenant, listed per tenant by email, unique
// by email across tenants, and deleted only by their own tenant.
func testAnalysts(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	ann := vigil.Analyst{ID: "a1", TenantID: "t1", Email: "ann@example.com", Role: vigil.RoleAnalyst, PasswordHash: "$argon2id$x", CreatedAt: 5}
	bob := vigil.Analyst{ID: "a2", TenantID: "t1", Email: "bob@example.com", Role: vigil.RoleViewer, PasswordHash: "$argon2id$y", CreatedAt: 6}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		for _, tn := range []vigil.Tenant{{ID: "t1", Name: "acme", CreatedAt: 1}, {ID: "t2", Name: "other", CreatedAt: 1}} {
			if err := tx.CreateTenant(ctx, tn); err != nil {
				return err
			}
		}
		for _, a := range []vigil.Analyst{bob, ann} {
			if err := tx.PutAnalyst(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.PutAnalyst(ctx, vigil.Analyst{ID: "a3", TenantID: "t2", Email: "ann@example.com", Role: vigil.RoleAdmin, PasswordHash: "z"})
	}); !errors.Is(err, vigil.ErrDuplicate) {
		t.Fatalf("a taken email in another tenant: %v, want ErrDuplicate", err)
	}
	got, tenant, err := s.AnalystByEmail(ctx, "ann@example.com")
	if err != nil || got != ann || tenant.Name != "acme" {
		t.Fatalf("AnalystByEmail = %+v, %+v, %v", got, tenant, err)
	}
	if _, _, err := s.AnalystByEmail(ctx, "nobody@example.com"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("an unknown email: %v", err)
	}
	list, err := s.Analysts(ctx, "t1")
	if err != nil || len(list) != 2 || list[0] != ann || list[1] != bob {
		t.Fatalf("Analysts = %+v, %v", list, err)
	}
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteAnalyst(ctx, "t2", "bob@example.com") }); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("another tenant deletes bob: %v", err)
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteAnalyst(ctx, "t1", "bob@example.com") })
	if list, err := s.Analysts(ctx, "t1"); err != nil || len(list) != 1 {
		t.Fatalf("after delete: %+v, %v", list, err)
	}
}
