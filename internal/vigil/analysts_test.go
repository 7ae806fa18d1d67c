package vigil_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestSignIn: the right email (any case) and password sign in with the analyst's tenant; every
// failure is the same 401, whether the email exists or not.
func TestSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		if _, err := f.svc.AddAnalyst(ctx, f.tenant.Name, "ann@example.com", vigil.RoleAnalyst, "a long enough password"); err != nil {
			t.Fatal(err)
		}
		a, tenant, err := f.svc.SignIn(ctx, " ANN@example.com", "a long enough password")
		if err != nil || a.Role != vigil.RoleAnalyst || tenant.ID != f.tenant.ID || a.Email != "ann@example.com" {
			t.Fatalf("sign in = %+v, %+v, %v", a, tenant, err)
		}
		for _, tc := range []struct{ email, password string }{
			{"ann@example.com", "a long enough passworD"},
			{"ann@example.com", ""},
			{"bob@example.com", "a long enough password"},
			{"", ""},
		} {
			_, _, err := f.svc.SignIn(ctx, tc.email, tc.password)
			var ve *vigil.Error
			if !errors.As(err, &ve) || ve.Code != vigil.CodeUnauthorized || ve.Message != "The email or password is not correct" {
				t.Errorf("sign in %q/%q: %v, want the one 401", tc.email, tc.password, err)
			}
		}
	})
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		role, need vigil.Role
		want       bool
	}{
		{vigil.RoleViewer, vigil.RoleViewer, true},
		{vigil.RoleViewer, vigil.RoleAnalyst, false},
		{vigil.RoleAnalyst, vigil.RoleAnalyst, true},
		{vigil.RoleAnalyst, vigil.RoleAdmin, false},
		{vigil.RoleAdmin, vigil.RoleAnalyst, true},
		{vigil.Role("root"), vigil.RoleViewer, false},
		{vigil.RoleAdmin, vigil.Role(""), false},
	} {
		if got := tc.role.Allows(tc.need); got != tc.want {
			t.Errorf("%q.Allows(%q) = %v", tc.role, tc.need, got)
		}
	}
}
