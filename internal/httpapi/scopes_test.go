package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
)

// TestScopes sends every route family with a key of each single scope: a key without the
// route's scope is refused with 403 in Flagright's error shape, one with it is not.
func TestScopes(t *testing.T) {
	routes := []struct {
		method, path, body, scope string
	}{
		{"POST", "/consumer/users", `{"userId":"s1","createdTimestamp":1700000000000}`, "write"},
		{"POST", "/business/users", `{"userId":"s2","createdTimestamp":1700000000000,"legalEntity":{"companyGeneralDetails":{"legalName":"S"}}}`, "write"},
		{"POST", "/events/consumer/user", `{"userId":"u1","timestamp":1700000001000}`, "write"},
		{"POST", "/events/business/user", `{"userId":"nobody","timestamp":1700000001000}`, "write"},
		{"POST", "/batch/consumer/users", `{"data":[]}`, "write"},
		{"POST", "/batch/events/consumer/user", `{"data":[]}`, "write"},
		{"GET", "/consumer/users/u1", "", "read"},
		{"GET", "/business/users/u1", "", "read"},
		{"GET", "/consumer/users/u1/risk", "", "read"},
		{"GET", "/consumer/users/u1/rules", "", "read"},
		{"GET", "/consumer/users/u1/timeline", "", "read"},
		{"GET", "/consumer/users/u1?asOf=1700000000000", "", "read"},
		{"GET", "/users", "", "read"},
		{"GET", "/events/consumer/user/nope", "", "read"},
		{"GET", "/batch/consumer/users/nope", "", "read"},
		{"GET", "/rules", "", "read"},
		{"GET", "/rules/R-U1.1", "", "read"},
		{"GET", "/rules/R-U1.1/versions", "", "read"},
		{"GET", "/risk/model", "", "read"},
		{"GET", "/risk/model/versions", "", "read"},
		{"GET", "/audit", "", "admin"},
		{"PUT", "/rules/RC-9", `{"ruleId":"RC-9","ruleName":"n","ruleDescription":"d","ruleAction":"FLAG","expression":"true"}`, "admin"},
		{"DELETE", "/rules/RC-404", "", "admin"},
		{"PUT", "/risk/model", `{}`, "admin"},
		{"GET", "/webhooks", "", "admin"},
		{"POST", "/webhooks", `{}`, "admin"},
		{"GET", "/webhooks/nope", "", "admin"},
		{"DELETE", "/webhooks/nope", "", "admin"},
		{"POST", "/webhooks/nope/rotate", "", "admin"},
		{"GET", "/webhooks/nope/deliveries", "", "admin"},
		{"GET", "/webhook-deliveries/nope", "", "admin"},
		{"POST", "/webhook-deliveries/nope/retry", "", "admin"},
		{"GET", "/api-keys", "", "admin"},
		{"POST", "/api-keys", `{"name":"x","scopes":["read"]}`, "admin"},
		{"DELETE", "/api-keys/nope", "", "admin"},
		{"DELETE", "/business/users/nobody", "", "admin"},
		{"GET", "/screening/searches/nope", "", "read"},
		{"POST", "/screening/search", `{"name":"Ivan Petrov"}`, "read"},
		{"GET", "/screening/lists", "", "read"},
		{"POST", "/screening/clearings", `{"userId":"u1","hitId":"X:1","reason":"r"}`, "write"},
		{"PUT", "/screening/lists/vip", `{"kind":"PEP","entries":[]}`, "admin"},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		if r := s.post(t, "/consumer/users", user); r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		keys := map[string]string{}
		for _, scope := range []string{"read", "write", "admin"} {
			r := s.post(t, "/api-keys", `{"name":"only `+scope+`","scopes":["`+scope+`"]}`)
			if r.status != http.StatusCreated {
				t.Fatalf("create a %s key: %d %s", scope, r.status, r.body)
			}
			obj := r.object(t)
			if got := obj["scopes"].([]any); len(got) != 1 || got[0] != scope {
				t.Fatalf("a %s key has scopes %v", scope, got)
			}
			keys[scope] = obj["key"].(string)
		}
		for _, rt := range routes {
			for scope, key := range keys {
				var body *strings.Reader
				if rt.body != "" {
					body = strings.NewReader(rt.body)
				} else {
					body = strings.NewReader("")
				}
				r := s.do(t, rt.method, rt.path, body, map[string]string{"x-api-key": key})
				if scope == rt.scope {
					if r.status == http.StatusForbidden || r.status == http.StatusUnauthorized || r.status >= 500 {
						t.Errorf("%s %s with a %s key: %d %s", rt.method, rt.path, scope, r.status, r.body)
					}
					continue
				}
				if r.status != http.StatusForbidden {
					t.Errorf("%s %s with a %s key: %d, want 403", rt.method, rt.path, scope, r.status)
					continue
				}
				if msg := assertError(t, r, http.StatusForbidden)["message"].(string); !strings.Contains(msg, rt.scope) {
					t.Errorf("403 message %q does not name the %s scope", msg, rt.scope)
				}
			}
		}
	})
}

// TestKeysAPI lists, creates and revokes keys through /api-keys; a revoked key is refused at
// once by the process that revoked it.
func TestKeysAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		r := s.post(t, "/api-keys", `{"name":"ci deploys","scopes":["write","read","write"]}`)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		created := r.object(t)
		id, secret := created["id"].(string), created["key"].(string)
		if !strings.HasPrefix(secret, "vgl_") || len(id) != 16 || created["name"] != "ci deploys" {
			t.Fatalf("created key = %s", r.body)
		}
		if got := created["scopes"].([]any); len(got) != 2 || got[0] != "read" || got[1] != "write" {
			t.Fatalf("scopes = %v, want [read write]", got)
		}
		list := s.get(t, "/api-keys")
		if list.status != http.StatusOK || !strings.Contains(string(list.body), id) || strings.Contains(string(list.body), secret) ||
			strings.Contains(string(list.body), `"key"`) {
			t.Fatalf("list: %d %s", list.status, list.body)
		}
		for _, bad := range []string{`{"scopes":["root"]}`, `{"name":"` + strings.Repeat("n", 101) + `"}`, `{"nope":1}`} {
			assertError(t, s.post(t, "/api-keys", bad), http.StatusBadRequest)
		}
		if r := s.do(t, "GET", "/consumer/users/u1", nil, map[string]string{"x-api-key": secret}); r.status != http.StatusNotFound {
			t.Fatalf("the new key reads: %d %s", r.status, r.body)
		}
		if r := s.do(t, "DELETE", "/api-keys/"+id, nil, nil); r.status != http.StatusOK || !strings.Contains(string(r.body), `"revokedAt"`) {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		r = s.do(t, "GET", "/consumer/users/u1", nil, map[string]string{"x-api-key": secret})
		if msg := assertError(t, r, http.StatusUnauthorized)["message"].(string); !strings.Contains(msg, "revoked") {
			t.Fatalf("a revoked key: %s", r.body)
		}
		assertError(t, s.do(t, "DELETE", "/api-keys/0000000000000000", nil, nil), http.StatusNotFound)
	})
}
