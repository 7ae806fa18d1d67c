package vigil

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Scope is one family of calls a key may make.
type Scope string

// The scopes. Keys made before scopes existed have all three.
const (
	// ScopeRead: every GET of users, events, batches, risk, rules and their results.
	ScopeRead Scope = "read"
	// ScopeWrite: creates, events and batches.
	ScopeWrite Scope = "write"
	// ScopeAdmin: rules, the risk model, webhooks, keys, audit and erasure.
	ScopeAdmin Scope = "admin"
)

// AllScopes are the scopes of a key made without naming any.
var AllScopes = []Scope{ScopeRead, ScopeWrite, ScopeAdmin}

// ParseScopes reads a comma-separated list of scopes; an empty list is every scope.
func ParseScopes(list string) ([]Scope, error) {
	if strings.TrimSpace(list) == "" {
		return slices.Clone(AllScopes), nil
	}
	var out []Scope
	for _, item := range strings.Split(list, ",") {
		sc := Scope(strings.TrimSpace(strings.ToLower(item)))
		if !slices.Contains(AllScopes, sc) {
			return nil, invalidf("scopes", "%q is not a scope; use read, write and admin, comma-separated", item)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	slices.SortFunc(out, func(a, b Scope) int { return slices.Index(AllScopes, a) - slices.Index(AllScopes, b) })
	return out, nil
}

// Allows reports whether the key may make calls of scope sc.
func (k APIKey) Allows(sc Scope) bool { return slices.Contains(k.Scopes, sc) }

// keyPrefix marks Vigil API keys so they are recognisable in logs and secret scanners.
const keyPrefix = "vgl_"

// maxKeyName bounds a key's label.
const maxKeyName = 100

// HashKey returns the stored form of an API key. SHA-256 is enough: keys are 256 random bits,
// and a slow hash on every request would cost more than the request.
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// KeyID is the id of the key whose hash is given: public, and the same in every process.
func KeyID(hash []byte) string { return hex.EncodeToString(hash[:8]) }

// NewKey is a key just made: the secret, shown once, and what is stored of it.
type NewKey struct {
	Secret string
	Key    APIKey
}

// CreateKey creates the tenant if it does not exist and a new API key for it with every scope.
// The key is returned once and only its hash is stored.
func (s *Service) CreateKey(ctx context.Context, tenant string) (string, error) {
	k, err := s.CreateScopedKey(ctx, tenant, "", AllScopes)
	return k.Secret, err
}

// CreateScopedKey creates the tenant if it does not exist and a new API key for it, with a label
// and scopes (none: every scope).
func (s *Service) CreateScopedKey(ctx context.Context, tenant, name string, scopes []Scope) (NewKey, error) {
	if !tenantName.MatchString(tenant) {
		return NewKey{}, invalidf("tenant", "must be 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit")
	}
	if len(name) > maxKeyName || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return NewKey{}, invalidf("name", "must be at most %d characters, with no control characters", maxKeyName)
	}
	if len(scopes) == 0 {
		scopes = AllScopes
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return NewKey{}, err
	}
	secret := keyPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	hash := HashKey(secret)
	k := APIKey{ID: KeyID(hash), Hash: hash, Name: name, Scopes: slices.Clone(scopes), CreatedAt: s.nowMillis()}
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
		k.TenantID = t.ID
		if err := tx.CreateKey(ctx, k); err != nil {
			return err
		}
		return s.AuditKey(ctx, tx, k, AuditKeyCreate)
	})
	if err != nil {
		return NewKey{}, fmt.Errorf("create key for tenant %q: %w", tenant, err)
	}
	return NewKey{Secret: secret, Key: k}, nil
}

// Keys lists a tenant's keys, revoked ones included.
func (s *Service) Keys(ctx context.Context, tenant Tenant) ([]APIKey, error) {
	keys, err := s.store.Keys(ctx, tenant.ID)
	if err != nil {
		return nil, fmt.Errorf("list the keys of tenant %q: %w", tenant.Name, err)
	}
	return keys, nil
}

// RevokeKey revokes a key named by its id or by the key itself. Within tenant (not "" ) only
// that tenant's keys can be named. Every process refuses the key within keyRecheck.
func (s *Service) RevokeKey(ctx context.Context, tenantID, idOrKey string) (APIKey, error) {
	id := idOrKey
	if strings.HasPrefix(idOrKey, keyPrefix) {
		id = KeyID(HashKey(idOrKey))
	}
	var k APIKey
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if k, err = tx.KeyByID(ctx, id); err != nil {
			return err
		}
		if tenantID != "" && k.TenantID != tenantID {
			return ErrNotFound
		}
		if k.RevokedAt != 0 {
			return nil // revoked already: nothing changes, nothing to record
		}
		k.RevokedAt = s.nowMillis()
		if err := tx.RevokeKey(ctx, id, k.RevokedAt); err != nil {
			return err
		}
		return s.AuditKey(ctx, tx, k, AuditKeyRevoke)
	})
	if errors.Is(err, ErrNotFound) {
		return APIKey{}, notFoundf("No API key with id %q", id)
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("revoke key %q: %w", id, err)
	}
	s.keys.Delete(string(k.Hash)) // this process at once; the others within keyRecheck
	return k, nil
}

// keyRecheck is how long a process trusts what it read of a key: a revocation reaches every
// process within it.
const keyRecheck = 2 * time.Second

// keyTouchEvery is how often a key's last use is written: not on every request.
const keyTouchEvery = time.Minute

// cachedKey is what a process read of a key, and when.
type cachedKey struct {
	key     APIKey
	tenant  Tenant
	readAt  time.Time
	touched *sync.Once // one last-use write per cache entry
}

// Authenticate finds the tenant of an API key.
func (s *Service) Authenticate(ctx context.Context, key string) (Tenant, error) {
	t, _, err := s.AuthenticateKey(ctx, key)
	return t, err
}

// AuthenticateKey finds an API key and its tenant; a revoked or unknown key is refused.
func (s *Service) AuthenticateKey(ctx context.Context, key string) (Tenant, APIKey, error) {
	if key == "" {
		return Tenant{}, APIKey{}, &Error{Code: CodeUnauthorized, Message: "Missing API key: send it in the x-api-key header"}
	}
	hash := HashKey(key)
	now := s.now()
	c, ok := s.keys.Load(string(hash))
	if !ok || now.Sub(c.(cachedKey).readAt) > keyRecheck {
		k, t, err := s.store.KeyByHash(ctx, hash)
		if errors.Is(err, ErrNotFound) {
			return Tenant{}, APIKey{}, &Error{Code: CodeUnauthorized, Message: "Unknown API key"}
		}
		if err != nil {
			return Tenant{}, APIKey{}, fmt.Errorf("read API key %s: %w", KeyID(hash), err)
		}
		c = cachedKey{key: k, tenant: t, readAt: now, touched: &sync.Once{}}
		s.keys.Store(string(hash), c)
	}
	ck := c.(cachedKey)
	if ck.key.RevokedAt != 0 {
		return Tenant{}, APIKey{}, &Error{Code: CodeUnauthorized, Message: "This API key was revoked"}
	}
	if now.UnixMilli()-ck.key.LastUsedAt > keyTouchEvery.Milliseconds() {
		ck.touched.Do(func() { go s.touchKey(ck.key.ID, now.UnixMilli()) })
	}
	return ck.tenant, ck.key, nil
}

// touchKey records a key's last use; a failure costs only that record.
func (s *Service) touchKey(id string, at int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.store.Update(ctx, func(tx Tx) error { return tx.TouchKey(ctx, id, at) })
	switch {
	case err == nil, errors.Is(err, ErrOverloaded), errors.Is(err, context.Canceled):
		// Busy or stopping: the next use records it.
	default:
		s.log.Warn("could not record an API key's last use", "key", id, "err", err)
	}
}

// KeySpec is a key asked for through the API: a label and scopes (none: every scope).
type KeySpec struct {
	Name   string  `json:"name"`
	Scopes []Scope `json:"scopes"`
}

// keyJSON is a key as the API shows it: never its secret or hash.
type keyJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name,omitempty"`
	Scopes     []Scope `json:"scopes"`
	CreatedAt  int64   `json:"createdAt"`
	LastUsedAt int64   `json:"lastUsedAt,omitempty"`
	RevokedAt  int64   `json:"revokedAt,omitempty"`
	// Key is the secret, in the answer to its creation only.
	Key string `json:"key,omitempty"`
}

func keyView(k APIKey) keyJSON {
	return keyJSON{ID: k.ID, Name: k.Name, Scopes: k.Scopes, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// KeysJSON handles GET /api-keys: the tenant's keys, revoked ones included.
func (s *Service) KeysJSON(ctx context.Context, tenant Tenant) ([]byte, error) {
	keys, err := s.Keys(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]keyJSON, len(keys))
	for i, k := range keys {
		out[i] = keyView(k)
	}
	return mustEncode(map[string]any{"keys": out}), nil
}

// CreateKeyJSON handles POST /api-keys: a new key of the caller's tenant, its secret shown once.
func (s *Service) CreateKeyJSON(ctx context.Context, tenant Tenant, spec KeySpec) ([]byte, error) {
	for _, sc := range spec.Scopes {
		if !slices.Contains(AllScopes, sc) {
			return nil, invalidf("scopes", "%q is not a scope; use read, write and admin", sc)
		}
	}
	scopes, _ := ParseScopes(JoinScopes(spec.Scopes)) // sorted, without repeats
	k, err := s.CreateScopedKey(ctx, tenant.Name, spec.Name, scopes)
	if err != nil {
		return nil, err
	}
	view := keyView(k.Key)
	view.Key = k.Secret
	return mustEncode(view), nil
}

// RevokeKeyJSON handles DELETE /api-keys/{keyId}: the key revoked, as it now is.
func (s *Service) RevokeKeyJSON(ctx context.Context, tenant Tenant, id string) ([]byte, error) {
	k, err := s.RevokeKey(ctx, tenant.ID, id)
	if err != nil {
		return nil, err
	}
	return mustEncode(keyView(k)), nil
}

// JoinScopes writes scopes as a comma-separated list, as ParseScopes reads it.
func JoinScopes(scopes []Scope) string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return strings.Join(out, ",")
}

// AuditKey records a change of an API key (AuditKeyCreate, AuditKeyRevoke) in tx, the
// transaction that makes it. The target names the key by its id; the digest is its whole hash:
// enough to tell which key it was, nothing to use it with.
func (s *Service) AuditKey(ctx context.Context, tx Tx, k APIKey, action string) error {
	return s.Audit(ctx, tx, k.TenantID, action, "key/"+k.ID, k.Hash)
}
