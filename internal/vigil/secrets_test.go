package vigil_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

const (
	oldKey = "0000000000000000000000000000000000000000000000000000000000000001"
	newKey = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=" // 32 bytes of 0x02, in base64
)

// TestSecretsAtRest stores a webhook secret through a store with a secret key: the database holds
// it sealed, the service and dispatcher see it clear; after a key rotation the previous key still
// opens it, a reseal moves it to the new key, and without the key it does not open.
func TestSecretsAtRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		raw := b.Open(t)
		keys, err := vigil.NewSecretKeys(oldKey)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := vigil.NewService(vigil.WithSecretKeys(raw, keys), vigil.Options{})
		if err != nil {
			t.Fatal(err)
		}
		key, _ := svc.CreateKey(ctx, "acme")
		tenant, _ := svc.Authenticate(ctx, key)
		reply, err := svc.CreateWebhook(ctx, tenant, vigil.WebhookSpec{URL: "https://hooks.example.com/v"})
		if err != nil {
			t.Fatal(err)
		}
		var created struct{ ID, Secret string }
		if err := json.Unmarshal(reply, &created); err != nil || created.Secret == "" {
			t.Fatalf("created %s: %v", reply, err)
		}
		stored := func() string {
			es, err := raw.WebhookEndpoints(ctx, tenant.ID)
			if err != nil || len(es) != 1 {
				t.Fatalf("raw endpoints %v, %v", es, err)
			}
			return es[0].Secrets[0].Secret
		}
		if s := stored(); !strings.HasPrefix(s, "vgs1:"+keys.KeyID()+":") || strings.Contains(s, created.Secret) {
			t.Fatalf("the database holds %q", s)
		}
		opened := func(store vigil.Store) (string, error) {
			es, err := store.WebhookEndpoints(ctx, tenant.ID)
			if err != nil {
				return "", err
			}
			return es[0].Secrets[0].Secret, nil
		}
		if s, err := opened(vigil.WithSecretKeys(raw, keys)); err != nil || s != created.Secret {
			t.Fatalf("opened %q, %v; want the secret created", s, err)
		}
		rotated, err := vigil.NewSecretKeys(newKey, oldKey)
		if err != nil {
			t.Fatal(err)
		}
		if s, err := opened(vigil.WithSecretKeys(raw, rotated)); err != nil || s != created.Secret {
			t.Fatalf("after rotation, opened %q, %v", s, err)
		}
		resealer, _ := vigil.NewService(vigil.WithSecretKeys(raw, rotated), vigil.Options{})
		if n, err := resealer.ResealSecrets(ctx, []vigil.Tenant{tenant}); err != nil || n != 1 {
			t.Fatalf("reseal: %d, %v", n, err)
		}
		if s := stored(); !strings.HasPrefix(s, "vgs1:"+rotated.KeyID()+":") {
			t.Fatalf("after the reseal the database holds %q", s)
		}
		onlyNew, _ := vigil.NewSecretKeys(newKey)
		if s, err := opened(vigil.WithSecretKeys(raw, onlyNew)); err != nil || s != created.Secret {
			t.Fatalf("with the new key alone, opened %q, %v", s, err)
		}
		onlyOld, _ := vigil.NewSecretKeys(oldKey)
		if _, err := opened(vigil.WithSecretKeys(raw, onlyOld)); err == nil {
			t.Fatal("a secret sealed with the new key opened with the old one")
		}
		plain, _ := vigil.NewService(raw, vigil.Options{})
		if _, err := plain.ResealSecrets(ctx, []vigil.Tenant{tenant}); err == nil {
			t.Fatal("a reseal without a key succeeded")
		}
	})
}

func TestSecretKeysRefuseBadKeys(t *testing.T) {
	for _, k := range []string{"", "abc", strings.Repeat("0", 62), "c2hvcnQ="} {
		if _, err := vigil.NewSecretKeys(k); err == nil {
			t.Errorf("NewSecretKeys(%q) accepted", k)
		}
	}
}
