package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/logging"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// lockedBuffer is a log destination the server's goroutines share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

func TestRequestIDsAndTheAccessLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		svc, err := vigil.NewService(b.Open(t), vigil.Options{})
		if err != nil {
			t.Fatal(err)
		}
		key, err := svc.CreateKey(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		logs := &lockedBuffer{}
		log, err := logging.New(logs, "json", "info")
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Logger: log}))
		defer srv.Close()
		s := &testServer{Server: srv, key: key}

		const secretUser = "user-with-a-telling-id"
		cases := []struct {
			name, sent string
			keep       bool
		}{
			{"the client's id is kept", "client-req-42", true},
			{"none sent: one is made", "", false},
			{"an odd one is replaced", "has spaces and \"quotes\"", false},
			{"a long one is replaced", strings.Repeat("x", 129), false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := s.do(t, http.MethodGet, "/consumer/users/"+secretUser, nil, map[string]string{"X-Request-Id": c.sent})
				got := res.header.Get("X-Request-Id")
				if res.status != http.StatusNotFound || got == "" || (got == c.sent) != c.keep {
					t.Fatalf("status %d, X-Request-Id %q for %q sent", res.status, got, c.sent)
				}
				var line map[string]any
				for _, rec := range logs.lines(t) {
					if rec["request_id"] == got {
						line = rec
					}
				}
				if line == nil || line["msg"] != "request" || line["route"] != "GET /consumer/users/{userId}" ||
					line["status"] != float64(404) || line["tenant"] != "acme" || line["method"] != "GET" {
					t.Fatalf("access log line for %s = %v", got, line)
				}
			})
		}
		s.do(t, http.MethodGet, "/healthz", nil, map[string]string{"X-Request-Id": "anonymous"})
		logs.mu.Lock()
		all := logs.buf.String()
		logs.mu.Unlock()
		if strings.Contains(all, secretUser) || strings.Contains(all, key) {
			t.Fatalf("the log holds a user id or a key:\n%s", all)
		}
		if !strings.Contains(all, `"request_id":"anonymous"`) {
			t.Fatalf("an unauthenticated request was not logged:\n%s", all)
		}
	})
}
