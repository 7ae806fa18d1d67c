package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// fakeClock is a clock the test moves by hand, so token counts are exact.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// limitedAPI is the API with a rate limiter on a fake clock, and keys of three tenants.
type limitedAPI struct {
	handler http.Handler
	svc     *vigil.Service
	limiter *httpapi.RateLimiter
	clock   *fakeClock
	keys    map[string]string
}

func newLimitedAPI(t *testing.T, fallback vigil.RateLimit) *limitedAPI {
	t.Helper()
	ctx := context.Background()
	svc, err := vigil.NewService(storetest.Backends(t)[0].Open(t), vigil.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := &limitedAPI{svc: svc, clock: &fakeClock{now: time.Unix(1_800_000_000, 0)}, keys: map[string]string{}}
	for _, name := range []string{"flood", "calm", "exempt"} {
		if api.keys[name], err = svc.CreateKey(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	api.limiter = httpapi.NewRateLimiter(svc.RateLimits, httpapi.RateLimiterOptions{Default: fallback, Now: api.clock.Now})
	api.handler = httpapi.New(svc, httpapi.Options{RateLimiter: api.limiter})
	return api
}

// setLimit stores a tenant's own limit and refreshes the limiter, as its loop would.
func (a *limitedAPI) setLimit(t *testing.T, tenant string, rps float64, burst int) {
	t.Helper()
	if _, err := a.svc.SetRateLimit(context.Background(), tenant, rps, burst); err != nil {
		t.Fatal(err)
	}
	if err := a.limiter.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// bodyReads records whether a request's body was read at all.
type bodyReads struct {
	io.Reader
	read bool
}

func (b *bodyReads) Read(p []byte) (int, error) {
	b.read = true
	return b.Reader.Read(p)
}

func (b *bodyReads) Close() error { return nil }

func (a *limitedAPI) post(tenant string) (*httptest.ResponseRecorder, *bodyReads) {
	body := &bodyReads{Reader: strings.NewReader(`{"userId":"u1","createdTimestamp":1700000000000}`)}
	req := httptest.NewRequest("POST", "/consumer/users", nil)
	req.Body = body
	req.Header.Set("x-api-key", a.keys[tenant])
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec, body
}

func (a *limitedAPI) get(tenant string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/rules", nil)
	req.Header.Set("x-api-key", a.keys[tenant])
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

func TestRateLimitAnswers(t *testing.T) {
	api := newLimitedAPI(t, vigil.RateLimit{})
	api.setLimit(t, "flood", 2, 3)
	steps := []struct {
		name      string
		advance   time.Duration
		status    int
		rateLimit string
		retry     string
	}{
		{"first of the burst", 0, 200, `"tenant";r=2;t=1`, ""},
		{"second", 0, 200, `"tenant";r=1;t=1`, ""},
		{"last token", 0, 200, `"tenant";r=0;t=2`, ""},
		{"empty bucket", 0, 429, `"tenant";r=0;t=1`, "1"},
		{"still empty", 400 * time.Millisecond, 429, `"tenant";r=0;t=1`, "1"},
		{"a token earned", 100 * time.Millisecond, 200, `"tenant";r=0;t=2`, ""},
	}
	for _, step := range steps {
		api.clock.advance(step.advance)
		rec := api.get("flood")
		h := rec.Header()
		if rec.Code != step.status || h.Get("RateLimit") != step.rateLimit || h.Get("Retry-After") != step.retry ||
			h.Get("RateLimit-Policy") != `"tenant";q=3;w=2` {
			t.Fatalf("%s: %d RateLimit %q Retry-After %q RateLimit-Policy %q; want %d %q %q",
				step.name, rec.Code, h.Get("RateLimit"), h.Get("Retry-After"), h.Get("RateLimit-Policy"),
				step.status, step.rateLimit, step.retry)
		}
		if rec.Code == 429 {
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body) != 1 ||
				!strings.Contains(body["message"].(string), "2 requests/s, burst 3") {
				t.Fatalf("%s: 429 body %s, want Flagright's {\"message\"} naming the limit", step.name, rec.Body)
			}
		}
	}

	// A refused write is answered before its body is read; another tenant's is served.
	rec, body := api.post("flood")
	if rec.Code != 429 || body.read {
		t.Fatalf("flooding tenant's write: %d, body read %v; want 429 unread", rec.Code, body.read)
	}
	rec, body = api.post("calm")
	if rec.Code != 201 || !body.read || rec.Header().Get("RateLimit") != "" {
		t.Fatalf("unlimited tenant's write: %d %s, RateLimit %q; want 201 without limit fields", rec.Code, rec.Body, rec.Header().Get("RateLimit"))
	}

	// A change applies on the next refresh; rps 0 lifts the limit.
	api.setLimit(t, "flood", 0, 0)
	if rec := api.get("flood"); rec.Code != 200 || rec.Header().Get("RateLimit") != "" {
		t.Fatalf("after lifting the limit: %d, RateLimit %q", rec.Code, rec.Header().Get("RateLimit"))
	}
}

func TestRateLimitDefault(t *testing.T) {
	api := newLimitedAPI(t, vigil.RateLimit{RPS: 1})
	api.setLimit(t, "exempt", 0, 0)
	api.setLimit(t, "flood", 1000, 1000)
	for tenant, want := range map[string][]int{
		"calm":   {200, 429, 429}, // the default: 1/s, burst 1
		"exempt": {200, 200, 200}, // its own: none
		"flood":  {200, 200, 200}, // its own, above the default
	} {
		for i, status := range want {
			if rec := api.get(tenant); rec.Code != status {
				t.Fatalf("%s request %d: %d, want %d", tenant, i+1, rec.Code, status)
			}
		}
	}
	// Clearing a tenant's own limit brings the default back.
	if err := api.svc.ClearRateLimit(context.Background(), "exempt"); err != nil {
		t.Fatal(err)
	}
	if err := api.limiter.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a, b := api.get("exempt").Code, api.get("exempt").Code; a != 200 || b != 429 {
		t.Fatalf("after clearing its own limit: %d then %d, want 200 then 429", a, b)
	}
}
