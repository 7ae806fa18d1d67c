package vigil_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestKeyRevocation revokes keys by id and by secret: another service on the same store (as
// another process would) refuses a revoked key once its recheck interval has passed, and a
// tenant cannot revoke another tenant's key.
func TestKeyRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		store := b.Open(t)
		now := time.UnixMilli(1_800_000_000_000)
		clock := func() time.Time { return now }
		revoker, err := vigil.NewService(store, vigil.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		other, err := vigil.NewService(store, vigil.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		byID, err := revoker.CreateScopedKey(ctx, "acme", "by id", []vigil.Scope{vigil.ScopeRead})
		if err != nil {
			t.Fatal(err)
		}
		bySecret, err := revoker.CreateScopedKey(ctx, "acme", "by secret", nil)
		if err != nil {
			t.Fatal(err)
		}
		rival, err := revoker.CreateScopedKey(ctx, "rival", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []vigil.NewKey{byID, bySecret} {
			if _, key, err := other.AuthenticateKey(ctx, k.Secret); err != nil || key.ID != k.Key.ID {
				t.Fatalf("authenticate %s: %+v, %v", k.Key.Name, key, err)
			}
		}
		if _, err := revoker.RevokeKey(ctx, rival.Key.TenantID, byID.Key.ID); codeOf(err) != vigil.CodeNotFound {
			t.Fatalf("another tenant revoked acme's key: %v", err)
		}
		if _, err := revoker.RevokeKey(ctx, "", byID.Key.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := revoker.RevokeKey(ctx, "", bySecret.Secret); err != nil {
			t.Fatal(err)
		}
		if _, err := revoker.Authenticate(ctx, byID.Secret); codeOf(err) != vigil.CodeUnauthorized {
			t.Fatalf("the revoking service still accepts the key: %v", err)
		}
		now = now.Add(3 * time.Second) // past the other service's recheck
		for _, k := range []vigil.NewKey{byID, bySecret} {
			if _, err := other.Authenticate(ctx, k.Secret); codeOf(err) != vigil.CodeUnauthorized {
				t.Fatalf("another service accepts revoked key %s: %v", k.Key.Name, err)
			}
		}
		if _, err := other.Authenticate(ctx, rival.Secret); err != nil {
			t.Fatalf("a key that was not revoked: %v", err)
		}
		if _, err := revoker.RevokeKey(ctx, "", "ffffffffffffffff"); codeOf(err) != vigil.CodeNotFound {
			t.Fatalf("revoke an unknown id: %v", err)
		}
	})
}

func TestParseScopes(t *testing.T) {
	for _, c := range []struct {
		in, want string
		bad      bool
	}{
		{"", "read,write,admin", false},
		{"admin, read", "read,admin", false},
		{"WRITE,write", "write", false},
		{"read,root", "", true},
	} {
		got, err := vigil.ParseScopes(c.in)
		if (err != nil) != c.bad || (!c.bad && vigil.JoinScopes(got) != c.want) {
			t.Errorf("ParseScopes(%q) = %v, %v", c.in, got, err)
		}
	}
}
