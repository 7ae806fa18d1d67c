package vigil

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
)

// DefaultTenant is the tenant created on a first start with no API key.
const DefaultTenant = "default"

var tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// keyPrefix marks Vigil API keys so they are recognisable in logs and secret scanners.
const keyPrefix = "vgl_"

// HashKey returns the stored form of an API key. SHA-256 is enough: keys are 256 random bits,
// and a slow hash on every request would cost more than the request.
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// CreateKey creates the tenant if it does not exist and a new API key for it. The key is
// returned once and only its hash is stored.
func (s *Service) CreateKey(ctx context.Context, tenant string) (string, error) {
	if !tenantName.MatchString(tenant) {
		return "", invalidf("tenant", "must be 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	err := s.write(ctx, func(tx Tx) error {
		t, err := tx.TenantByName(ctx, tenant)
		if errors.Is(err, ErrNotFound) {
			t = Tenant{ID: s.newID(), Name: tenant, CreatedAt: s.nowMillis()}
			if err = tx.CreateTenant(ctx, t); err == nil {
				err = s.Audit(ctx, tx, t.ID, AuditTenantCreate, "tenant/"+t.Name, nil)
			}
			if err == nil {
				err = s.seedRules(ctx, tx, t.ID)
			}
		}
		if err != nil {
			return err
		}
		k := APIKey{Hash: HashKey(key), TenantID: t.ID, CreatedAt: s.nowMillis()}
		if err := tx.CreateKey(ctx, k); err != nil {
			return err
		}
		return s.AuditKey(ctx, tx, k, AuditKeyCreate)
	})
	if err != nil {
		return "", fmt.Errorf("create key for tenant %q: %w", tenant, err)
	}
	return key, nil
}

// Bootstrap creates the default tenant and its first key when no key exists at all, so a first
// start is usable at once. It returns the new key, or "" when keys already exist.
func (s *Service) Bootstrap(ctx context.Context) (string, error) {
	n, err := s.store.CountKeys(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	return s.CreateKey(ctx, DefaultTenant)
}

// Authenticate finds the tenant of an API key.
func (s *Service) Authenticate(ctx context.Context, key string) (Tenant, error) {
	if key == "" {
		return Tenant{}, &Error{Code: CodeUnauthorized, Message: "Missing API key: send it in the x-api-key header"}
	}
	hash := HashKey(key)
	// Keys are never revoked or moved, so a tenant found once stays right for the process.
	if t, ok := s.keys.Load(string(hash)); ok {
		return t.(Tenant), nil
	}
	t, err := s.store.TenantByKeyHash(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Tenant{}, &Error{Code: CodeUnauthorized, Message: "Unknown API key"}
	}
	if err == nil {
		s.keys.Store(string(hash), t)
	}
	return t, err
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

// AuditKey records a change of an API key (AuditKeyCreate, AuditKeyRevoke...) in tx, the
// transaction that makes it. The target names the key by the first 8 bytes of its hash, in hex,
// and the digest is its whole hash: enough to tell which key it was, nothing to use it with.
func (s *Service) AuditKey(ctx context.Context, tx Tx, k APIKey, action string) error {
	return s.Audit(ctx, tx, k.TenantID, action, "key/"+hex.EncodeToString(k.Hash[:8]), k.Hash)
}
