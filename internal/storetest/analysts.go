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

// testSessions: a session is found by its token's hash with its analyst and tenant, deleted by
// sign-out, by its time, and with its analyst.
func testSessions(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	ann := vigil.Analyst{ID: "a1", TenantID: "t1", Email: "ann@example.com", Role: vigil.RoleViewer, PasswordHash: "h", CreatedAt: 5}
	live := vigil.Session{TokenHash: []byte("live-hash"), AnalystID: "a1", CSRF: "c1", CreatedAt: 10, ExpiresAt: 100}
	old := vigil.Session{TokenHash: []byte("old-hash"), AnalystID: "a1", CSRF: "c2", CreatedAt: 1, ExpiresAt: 50}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.CreateTenant(ctx, vigil.Tenant{ID: "t1", Name: "acme", CreatedAt: 1}); err != nil {
			return err
		}
		if err := tx.PutAnalyst(ctx, ann); err != nil {
			return err
		}
		for _, sess := range []vigil.Session{live, old} {
			if err := tx.PutSession(ctx, sess); err != nil {
				return err
			}
		}
		return nil
	})
	in, err := s.SessionByHash(ctx, live.TokenHash)
	if err != nil || string(in.Session.TokenHash) != "live-hash" || in.Session.CSRF != "c1" || in.Session.ExpiresAt != 100 ||
		in.Analyst != ann || in.Tenant.Name != "acme" {
		t.Fatalf("SessionByHash = %+v, %v", in, err)
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteSessionsEndedBefore(ctx, 50) })
	if _, err := s.SessionByHash(ctx, old.TokenHash); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("an ended session after DeleteSessionsEndedBefore: %v", err)
	}
	if _, err := s.SessionByHash(ctx, live.TokenHash); err != nil {
		t.Fatalf("a live session after DeleteSessionsEndedBefore: %v", err)
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteAnalyst(ctx, "t1", "ann@example.com") })
	if _, err := s.SessionByHash(ctx, live.TokenHash); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("a removed analyst's session: %v", err)
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.DeleteSession(ctx, []byte("never existed")) })
}
