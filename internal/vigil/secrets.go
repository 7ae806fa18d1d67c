package vigil

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// sealedPrefix marks a secret stored encrypted: "vgs1:<key id>:<base64 of nonce and sealed
// secret>". A stored secret without it was written before encryption was configured.
const sealedPrefix = "vgs1:"

// SecretKeys encrypts secrets at rest (webhook signing secrets) with AES-256-GCM: the current key
// seals, and the current and previous keys open, so keys can be rotated.
type SecretKeys struct {
	current cipher.AEAD
	id      string
	byID    map[string]cipher.AEAD
}

// NewSecretKeys reads 32-byte keys: the current one first, then previous ones still able to
// open what they sealed. Each is given as 64 hex digits or standard base64.
func NewSecretKeys(current string, previous ...string) (*SecretKeys, error) {
	k := &SecretKeys{byID: map[string]cipher.AEAD{}}
	for i, text := range append([]string{current}, previous...) {
		raw, err := decodeSecretKey(text)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		id := hex.EncodeToString(sum[:4])
		k.byID[id] = aead
		if i == 0 {
			k.current, k.id = aead, id
		}
	}
	return k, nil
}

func decodeSecretKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if raw, err := hex.DecodeString(text); err == nil && len(raw) == 32 {
		return raw, nil
	}
	if raw, err := base64.StdEncoding.DecodeString(text); err == nil && len(raw) == 32 {
		return raw, nil
	}
	return nil, errors.New("a secret key must be 32 bytes, written as 64 hex digits or in base64 (make one with: openssl rand -hex 32)")
}

// KeyID names the current key (the first 4 bytes of its SHA-256, in hex).
func (k *SecretKeys) KeyID() string { return k.id }

// seal encrypts a secret under the current key.
func (k *SecretKeys) seal(secret string) string {
	nonce := make([]byte, k.current.NonceSize(), k.current.NonceSize()+len(secret)+k.current.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	sealed := k.current.Seal(nonce, nonce, []byte(secret), []byte(k.id))
	return sealedPrefix + k.id + ":" + base64.RawStdEncoding.EncodeToString(sealed)
}

// open decrypts a stored secret; one stored before encryption is returned as it is.
func (k *SecretKeys) open(stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, nil
	}
	id, text, _ := strings.Cut(rest, ":")
	aead := k.byID[id]
	if aead == nil {
		return "", fmt.Errorf("a secret is sealed with key %s, which is not configured (pass it as a previous key)", id)
	}
	sealed, err := base64.RawStdEncoding.DecodeString(text)
	if err != nil || len(sealed) < aead.NonceSize() {
		return "", errors.New("a sealed secret is malformed")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(id))
	if err != nil {
		return "", fmt.Errorf("a secret sealed with key %s does not open: %w", id, err)
	}
	return string(plain), nil
}

// WithSecretKeys returns store with webhook secrets sealed on their way in and opened on their
// way out, so neither the domain nor the dispatcher sees a sealed secret and the database never
// holds a clear one (once written again: ResealSecrets rewrites the older ones).
func WithSecretKeys(store Store, keys *SecretKeys) Store {
	return &sealingStore{Store: store, keys: keys}
}

type sealingStore struct {
	Store
	keys *SecretKeys
}

func (s *sealingStore) WebhookEndpoints(ctx context.Context, tenantID string) ([]WebhookEndpoint, error) {
	es, err := s.Store.WebhookEndpoints(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for i := range es {
		if es[i].Secrets, err = s.openAll(es[i].Secrets); err != nil {
			return nil, fmt.Errorf("webhook endpoint %s: %w", es[i].ID, err)
		}
	}
	return es, nil
}

func (s *sealingStore) openAll(secrets []WebhookSecret) ([]WebhookSecret, error) {
	out := make([]WebhookSecret, len(secrets))
	for i, sec := range secrets {
		plain, err := s.keys.open(sec.Secret)
		if err != nil {
			return nil, err
		}
		out[i] = sec
		out[i].Secret = plain
	}
	return out, nil
}

func (s *sealingStore) Update(ctx context.Context, fn func(Tx) error) error {
	return s.Store.Update(ctx, func(tx Tx) error { return fn(sealingTx{Tx: tx, keys: s.keys}) })
}

func (s *sealingStore) UpdateAll(ctx context.Context, fns []func(Tx) error) ([]error, error) {
	wrapped := make([]func(Tx) error, len(fns))
	for i, fn := range fns {
		wrapped[i] = func(tx Tx) error { return fn(sealingTx{Tx: tx, keys: s.keys}) }
	}
	return s.Store.UpdateAll(ctx, wrapped)
}

// sealingTx seals the secrets of the endpoints it stores.
type sealingTx struct {
	Tx
	keys *SecretKeys
}

func (t sealingTx) PutWebhookEndpoint(ctx context.Context, e WebhookEndpoint) error {
	sealed := make([]WebhookSecret, len(e.Secrets))
	for i, sec := range e.Secrets {
		sealed[i] = sec
		if !strings.HasPrefix(sec.Secret, sealedPrefix) {
			sealed[i].Secret = t.keys.seal(sec.Secret)
		}
	}
	e.Secrets = sealed
	return t.Tx.PutWebhookEndpoint(ctx, e)
}

// ResealSecrets rewrites every webhook endpoint of every tenant named so that its secrets are
// sealed with the current key: after a key rotation, or to encrypt secrets written before
// encryption was configured. It returns how many endpoints it rewrote.
func (s *Service) ResealSecrets(ctx context.Context, tenants []Tenant) (int, error) {
	if _, ok := s.store.(*sealingStore); !ok {
		return 0, errors.New("no secret key is configured: pass --secret-key-file or VIGIL_SECRET_KEY")
	}
	n := 0
	for _, t := range tenants {
		es, err := s.store.WebhookEndpoints(ctx, t.ID) // opened with any configured key
		if err != nil {
			return n, err
		}
		for _, e := range es {
			if err := s.write(ctx, func(tx Tx) error { return tx.PutWebhookEndpoint(ctx, e) }); err != nil {
				return n, fmt.Errorf("reseal webhook endpoint %s: %w", e.ID, err)
			}
			n++
		}
	}
	return n, nil
}
