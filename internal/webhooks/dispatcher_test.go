package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
	"github.com/vigil-aml/vigil/internal/webhooks"
	"github.com/vigil-aml/vigil/webhooksig"
)

// receiver is a real HTTP receiver that records what it accepts.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	failures atomic.Int64 // requests answered with an error
	// answer decides the status of each request (200 when nil).
	answer func(body []byte) int
}

type received struct {
	body      []byte
	signature string
	envelope  struct {
		ID          string         `json:"id"`
		Type        string         `json:"type"`
		TriggeredBy string         `json:"triggeredBy"`
		Data        map[string]any `json:"data"`
	}
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		status := http.StatusOK
		if r.answer != nil {
			status = r.answer(body)
		}
		if status != http.StatusOK {
			r.failures.Add(1)
			w.WriteHeader(status)
			return
		}
		rec := received{body: body, signature: req.Header.Get(webhooksig.Header)}
		if err := json.Unmarshal(body, &rec.envelope); err != nil {
			t.Errorf("receiver: %v", err)
		}
		r.mu.Lock()
		r.got = append(r.got, rec)
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// waitFor polls until cond holds or fails the test after a while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type env struct {
	svc    *vigil.Service
	store  vigil.Store
	tenant vigil.Tenant
	secret string
	hook   string
}

// loopback opens the addresses the tests' receivers listen on.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// setup starts a service, a dispatcher with fast retries, and an endpoint for url.
func setup(t *testing.T, b storetest.Backend, url, origin string, cfg webhooks.Config) *env {
	t.Helper()
	store := b.Open(t)
	cfg.FirstRetry, cfg.Poll = 20*time.Millisecond, 10*time.Millisecond
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	d := webhooks.New(store, cfg)
	svc, err := vigil.NewService(store, vigil.Options{Wake: d.Wake})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	key, err := svc.CreateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	tenant, _ := svc.Authenticate(ctx, key)
	created, err := svc.CreateWebhook(ctx, tenant, vigil.WebhookSpec{URL: url, Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ ID, Secret string }
	json.Unmarshal(created, &e)
	return &env{svc: svc, store: store, tenant: tenant, secret: e.Secret, hook: e.ID}
}

func obj(t *testing.T, s string) schema.Object {
	o, err := schema.DecodeObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (e *env) create(t *testing.T, body string) {
	t.Helper()
	if _, err := e.svc.CreateUser(context.Background(), e.tenant, vigil.Consumer, obj(t, body), vigil.Flags{}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) event(t *testing.T, id string, ts int64, patch string) error {
	t.Helper()
	_, err := e.svc.ApplyEvent(context.Background(), e.tenant, vigil.Consumer,
		obj(t, fmt.Sprintf(`{"eventId":%q,"userId":"u1","timestamp":%d,"updatedConsumerUserAttributes":%s}`, id, ts, patch)), vigil.Flags{})
	return err
}

func (e *env) deliveries(t *testing.T, status string) []vigil.Delivery {
	ds, err := e.store.Deliveries(context.Background(), e.tenant.ID, e.hook, status, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestEveryTypeIsDeliveredOnceAndSigned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		r := newReceiver(t)
		e := setup(t, b, r.URL, "", webhooks.Config{Allow: loopback})
		e.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"},"kycStatusDetails":{"status":"NEW"}}`)
		for i, patch := range []string{
			`{"userStateDetails":{"state":"ACTIVE","reason":"onboarded"}}`,
			`{"kycStatusDetails":{"status":"SUCCESSFUL"}}`,
			`{"tags":[{"key":"segment","value":"gold"}]}`,
			`{"sanctionsStatus":true}`, // KRS to HIGH: the CRA level changes
		} {
			if err := e.event(t, fmt.Sprint("e", i), 1700000001000+int64(i), patch); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.Batch(context.Background(), e.tenant, vigil.BatchConsumerUsers,
			obj(t, `{"batchId":"b1","data":[{"userId":"u2","createdTimestamp":1700000000000}]}`), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		queued := len(e.deliveries(t, ""))
		waitFor(t, "every delivery", func() bool { return len(r.received()) >= queued && len(e.deliveries(t, vigil.DeliveryPending)) == 0 })
		seen, types := map[string]bool{}, map[string]int{}
		for _, got := range r.received() {
			if !webhooksig.Verify(got.body, got.signature, e.secret) {
				t.Errorf("bad signature on %s", got.body)
			}
			if seen[got.envelope.ID] {
				t.Errorf("envelope %s delivered twice", got.envelope.ID)
			}
			seen[got.envelope.ID] = true
			types[got.envelope.Type]++
			if got.envelope.TriggeredBy != "SYSTEM" {
				t.Errorf("triggeredBy = %q", got.envelope.TriggeredBy)
			}
		}
		for _, typ := range vigil.WebhookTypes {
			if types[typ] == 0 {
				t.Errorf("no %s delivered (got %v)", typ, types)
			}
		}
		if types[vigil.WebhookUserState] != 1 || types[vigil.WebhookKYCStatus] != 1 || types[vigil.WebhookUserTags] != 1 {
			t.Errorf("a change was notified more than once: %v", types)
		}
		for _, got := range r.received() {
			if got.envelope.Type == vigil.WebhookUserState && (got.envelope.Data["userId"] != "u1" || got.envelope.Data["state"] != "ACTIVE" || got.envelope.Data["reason"] != "onboarded") {
				t.Errorf("USER_STATE_UPDATED data = %v", got.envelope.Data)
			}
			if got.envelope.Type == vigil.WebhookBatchCompleted && (got.envelope.Data["batchId"] != "b1" || got.envelope.Data["status"] != "COMPLETED") {
				t.Errorf("BATCH_COMPLETED data = %v", got.envelope.Data)
			}
		}
	})
}

func TestNothingIsSentForCreatesLateNoOpsOrRefusedWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		r := newReceiver(t)
		e := setup(t, b, r.URL, "", webhooks.Config{Allow: loopback})
		e.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"},"userDetails":{"name":{"firstName":"A"}}}`)
		if err := e.event(t, "later", 1700000005000, `{"userStateDetails":{"state":"BLOCKED"}}`); err != nil {
			t.Fatal(err)
		}
		// Refused (the merged profile would lose a required field): rolled back, nothing queued.
		if err := e.event(t, "bad", 1700000006000, `{"userStateDetails":{"state":"ACTIVE"},"userDetails":{"name":{"firstName":null}}}`); err == nil {
			t.Fatal("an invalid event was accepted")
		}
		// Late: it folds before BLOCKED, so the current state does not change.
		if err := e.event(t, "late", 1700000001000, `{"userStateDetails":{"state":"ACTIVE"}}`); err != nil {
			t.Fatal(err)
		}
		var states int
		for _, d := range e.deliveries(t, "") {
			if d.Type == vigil.WebhookUserState {
				states++
			}
		}
		if states != 1 {
			t.Fatalf("%d USER_STATE_UPDATED queued, want only the one for BLOCKED", states)
		}
	})
}

func TestReceiverDownThenUpGetsEverythingInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		r := newReceiver(t)
		var up atomic.Bool
		r.answer = func([]byte) int {
			if up.Load() {
				return http.StatusOK
			}
			return http.StatusServiceUnavailable
		}
		e := setup(t, b, r.URL, "", webhooks.Config{Allow: loopback})
		e.create(t, `{"userId":"u1","createdTimestamp":1700000000000}`)
		const n = 6
		for i := range n {
			if err := e.event(t, fmt.Sprint("e", i), 1700000001000+int64(i), fmt.Sprintf(`{"tags":[{"key":"step","value":"%d"}]}`, i)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "failed attempts while down", func() bool { return r.failures.Load() >= 2 })
		up.Store(true)
		waitFor(t, "every delivery", func() bool { return len(e.deliveries(t, vigil.DeliveryDelivered)) == n })
		var steps []string
		for _, got := range r.received() {
			if got.envelope.Type == vigil.WebhookUserTags {
				tags := got.envelope.Data["tags"].([]any)
				steps = append(steps, tags[0].(map[string]any)["value"].(string))
			}
		}
		if strings.Join(steps, "") != "012345" {
			t.Fatalf("tags updates arrived as %v, want in order", steps)
		}
		d := e.deliveries(t, vigil.DeliveryDelivered)[n-1] // the oldest
		if d.Attempts < 2 {
			t.Fatalf("the first delivery took %d attempts; the receiver was down", d.Attempts)
		}
	})
}

func TestAPoisonedDeliveryStopsHoldingBackAfterThreeFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		r := newReceiver(t)
		r.answer = func(body []byte) int {
			if strings.Contains(string(body), `"poison"`) {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}
		e := setup(t, b, r.URL, "", webhooks.Config{Allow: loopback})
		e.create(t, `{"userId":"u1","createdTimestamp":1700000000000}`)
		if err := e.event(t, "e0", 1700000001000, `{"tags":[{"key":"x","value":"poison"}]}`); err != nil {
			t.Fatal(err)
		}
		if err := e.event(t, "e1", 1700000002000, `{"tags":[{"key":"x","value":"fine"}]}`); err != nil {
			t.Fatal(err)
		}
		// The receiver sees the request before the dispatcher records the answer, so wait for the
		// record: that is what shows the later delivery was no longer held back.
		waitFor(t, "the later delivery", func() bool { return len(e.deliveries(t, vigil.DeliveryDelivered)) == 1 })
		if got := len(r.received()); got != 1 {
			t.Fatalf("the receiver accepted %d deliveries, want 1", got)
		}
		pending := e.deliveries(t, vigil.DeliveryPending)
		if len(pending) != 1 || pending[0].Attempts < 3 {
			t.Fatalf("the poisoned delivery: %+v", pending)
		}
	})
}

func TestSystemOriginEndpointsHearOnlyVigilsChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		r := newReceiver(t)
		e := setup(t, b, r.URL, "system", webhooks.Config{Allow: loopback})
		if _, err := e.svc.PutRule(context.Background(), e.tenant, "RC-1.1", []byte(`ruleId: RC-1
ruleName: Freeze sanctioned
ruleDescription: Suspends sanctioned users.
ruleAction: SUSPEND
expression: user.sanctionsStatus == true
triggersOnHit: {userStateDetails: {state: SUSPENDED, reason: sanctions}}
`)); err != nil {
			t.Fatal(err)
		}
		e.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"}}`)
		if err := e.event(t, "api", 1700000001000, `{"userStateDetails":{"state":"ACTIVE"}}`); err != nil {
			t.Fatal(err)
		}
		if err := e.event(t, "hit", 1700000002000, `{"sanctionsStatus":true}`); err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, d := range e.deliveries(t, "") {
			if d.Type == vigil.WebhookUserState {
				states = append(states, string(d.Payload))
			}
		}
		if len(states) != 1 || !strings.Contains(states[0], `"SUSPENDED"`) {
			t.Fatalf("state deliveries = %v; want only the rule's SUSPENDED", states)
		}
	})
}

// firstFailedAttempt creates a user, sends it one tag event, and returns the event's delivery
// once an attempt at it has failed.
func (e *env) firstFailedAttempt(t *testing.T) vigil.Delivery {
	t.Helper()
	e.create(t, `{"userId":"u1","createdTimestamp":1700000000000}`)
	if err := e.event(t, "e0", 1700000001000, `{"tags":[{"key":"x","value":"y"}]}`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed attempt", func() bool {
		ds := e.deliveries(t, "")
		return len(ds) == 1 && ds[0].Attempts > 0
	})
	return e.deliveries(t, "")[0]
}
