package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestWebhookEndpointsAreCapped adds endpoints up to the default bound, then one more: a 400 in
// Flagright's error shape that writes nothing. Removing one makes room again.
func TestWebhookEndpointsAreCapped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		add := func(i int) response {
			return s.post(t, "/webhooks", fmt.Sprintf(`{"url":"https://hooks.example.com/%d"}`, i))
		}
		var first string
		for i := range vigil.DefaultMaxWebhookEndpoints {
			r := add(i)
			if r.status != http.StatusCreated {
				t.Fatalf("endpoint %d: %d %s", i, r.status, r.body)
			}
			if i == 0 {
				first = r.object(t)["id"].(string)
			}
		}
		body := assertError(t, add(99), http.StatusBadRequest)
		if msg, _ := body["message"].(string); !strings.Contains(msg, "already has 10 webhook endpoints") {
			t.Fatalf("message = %q", msg)
		}
		if v, _ := body["validationErrors"].(string); !strings.Contains(v, "at most 10") {
			t.Fatalf("validationErrors = %q", v)
		}
		if listed := s.get(t, "/webhooks").object(t)["webhooks"].([]any); len(listed) != vigil.DefaultMaxWebhookEndpoints {
			t.Fatalf("%d endpoints after a refused addition", len(listed))
		}
		if r := s.do(t, http.MethodDelete, "/webhooks/"+first, nil, nil); r.status != http.StatusNoContent {
			t.Fatalf("delete: %d", r.status)
		}
		if r := add(100); r.status != http.StatusCreated {
			t.Fatalf("after a removal: %d %s", r.status, r.body)
		}
	})
}
