package vigil

import (
	"context"
	"errors"
	"regexp"
)

// DefaultTenant is the tenant created on a first start with no API key.
const DefaultTenant = "default"

var tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Bootstrap creates the default tenant and its first key when no key exists at all, so a first
// start is usable at once. It returns the new key, or "" when keys already exist.
func (s *Service) Bootstrap(ctx context.Context) (string, error) {
	n, err := s.store.CountKeys(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	return s.CreateKey(ctx, DefaultTenant)
}

// TenantByName finds a tenant by name, for the command line.
func (s *Service) TenantByName(ctx context.Context, name string) (Tenant, error) {
	var t Tenant
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		t, err = tx.TenantByName(ctx, name)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return t, notFoundf("No tenant named %q (create it with: vigil keys create --tenant %s)", name, name)
	}
	return t, err
}
