package webhooks_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
	"github.com/vigil-aml/vigil/internal/webhooks"
)

// blackHole is a TCP server that accepts connections, reads what is sent and never answers.
type blackHole struct {
	ln       net.Listener
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
}

func newBlackHole(t *testing.T) *blackHole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &blackHole{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.accepted.Add(1)
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
			go func() {
				buf := make([]byte, 4096)
				for _, err := c.Read(buf); err == nil; _, err = c.Read(buf) {
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		h.mu.Lock()
		for _, c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
	})
	return h
}

func (h *blackHole) URL() string { return "http://" + h.ln.Addr().String() + "/hook" }

// closedPort is a loopback address with nothing listening.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// hangUp is a server that accepts connections and closes them at once.
func hangUp(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String() + "/hook"
}

func answering(t *testing.T, status int) *receiver {
	r := newReceiver(t)
	r.answer = func([]byte) int { return status }
	return r
}

// TestTheRecordNamesTheFailureClass sends a delivery to each kind of broken receiver and checks
// that the record shows the class of the failure and nothing of the address or the Go error.
func TestTheRecordNamesTheFailureClass(t *testing.T) {
	b := storetest.Backends(t)[0]
	dns := newFakeDNS(t, "hooks.test")
	dns.answer("127.0.0.1")
	for _, tt := range []struct {
		name   string
		url    func(t *testing.T) string
		cfg    webhooks.Config
		want   string
		status int
	}{
		{"loopback, refused by default", func(t *testing.T) string { return newReceiver(t).URL }, webhooks.Config{}, webhooks.FailureNotAllowed, 0},
		{"a name that resolves to loopback", func(t *testing.T) string {
			return "http://localhost:" + strings.Split(newReceiver(t).URL, ":")[2] + "/hook"
		}, webhooks.Config{}, webhooks.FailureNotAllowed, 0},
		{"cloud metadata", func(*testing.T) string { return "http://169.254.169.254/latest/meta-data/" }, webhooks.Config{}, webhooks.FailureNotAllowed, 0},
		{"cloud metadata, IPv4-mapped", func(*testing.T) string { return "http://[::ffff:169.254.169.254]/latest/" }, webhooks.Config{}, webhooks.FailureNotAllowed, 0},
		{"private network", func(*testing.T) string { return "http://10.0.0.1:8080/hook" }, webhooks.Config{}, webhooks.FailureNotAllowed, 0},
		{"a denied range", func(t *testing.T) string { return newReceiver(t).URL },
			webhooks.Config{Allow: loopback, Deny: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, webhooks.FailureNotAllowed, 0},
		{"DNS failure", func(*testing.T) string { return "http://nowhere.example/hook" },
			webhooks.Config{Resolver: dns.Resolver()}, webhooks.FailureDNS, 0},
		{"connection refused", func(t *testing.T) string { return "http://" + closedPort(t) + "/hook" }, webhooks.Config{Allow: loopback}, webhooks.FailureRefused, 0},
		{"closed without an answer", hangUp, webhooks.Config{Allow: loopback}, webhooks.FailureReset, 0},
		{"timeout", func(t *testing.T) string { return newBlackHole(t).URL() },
			webhooks.Config{Allow: loopback, Timeout: 200 * time.Millisecond}, webhooks.FailureTimeout, 0},
		{"TLS error", func(t *testing.T) string {
			s := httptest.NewTLSServer(http.NotFoundHandler()) // a certificate no one trusts
			t.Cleanup(s.Close)
			return s.URL
		}, webhooks.Config{Allow: loopback}, webhooks.FailureTLS, 0},
		{"HTTP 5xx", func(t *testing.T) string { return answering(t, 503).URL }, webhooks.Config{Allow: loopback}, webhooks.FailureServerError, 503},
		{"HTTP 4xx", func(t *testing.T) string { return answering(t, 401).URL }, webhooks.Config{Allow: loopback}, webhooks.FailureClientError, 401},
		{"a redirect is not followed", func(t *testing.T) string {
			target := newReceiver(t)
			s := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
			t.Cleanup(s.Close)
			return s.URL
		}, webhooks.Config{Allow: loopback}, webhooks.FailureRedirect, 307},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, b, tt.url(t), "", tt.cfg)
			d := e.firstFailedAttempt(t)
			_, attempts, err := e.store.Delivery(context.Background(), e.tenant.ID, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.LastError != tt.want || d.LastStatus != tt.status || attempts[0].Error != tt.want {
				t.Fatalf("lastError %q, status %d, attempt %+v; want %q, %d", d.LastError, d.LastStatus, attempts[0], tt.want, tt.status)
			}
			wire, err := e.svc.WebhookDelivery(context.Background(), e.tenant, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{"127.0.0.1", "169.254", "10.0.0.1", "dial", "tcp", "x509", "tls:", "lookup", "::1"} {
				if strings.Contains(string(wire), leak) {
					t.Fatalf("the record shows %q: %s", leak, wire)
				}
			}
		})
	}
}

// TestACheckedNameThatRebindsIsRefused resolves the receiver's name to an allowed address for
// the first delivery and to loopback for the second: the second connection is refused.
func TestACheckedNameThatRebindsIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ln, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Skipf("no 127.0.0.2 on this machine: %v", err)
		}
		r := newReceiver(t)
		r.Listener.Close()
		r.Close()
		r = newReceiver(t) // a receiver answering on 127.0.0.2, closing each connection
		r.Listener.Close()
		r.Server = httptest.NewUnstartedServer(r.Config.Handler)
		r.Listener = ln
		r.Config.SetKeepAlivesEnabled(false)
		r.Start()
		t.Cleanup(r.Close)
		dns := newFakeDNS(t, "hooks.test")
		dns.answer("127.0.0.2")
		port := ln.Addr().(*net.TCPAddr).Port
		e := setup(t, b, fmt.Sprintf("http://rebind.hooks.test:%d/hook", port), "",
			webhooks.Config{Resolver: dns.Resolver(), Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
		e.create(t, `{"userId":"u1","createdTimestamp":1700000000000}`)
		if err := e.event(t, "e0", 1700000001000, `{"tags":[{"key":"x","value":"first"}]}`); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the first delivery", func() bool { return len(e.deliveries(t, vigil.DeliveryDelivered)) == 1 })
		dns.answer("127.0.0.1") // the name now points at the host itself
		if err := e.event(t, "e1", 1700000002000, `{"tags":[{"key":"x","value":"second"}]}`); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a refused attempt", func() bool {
			ds := e.deliveries(t, vigil.DeliveryPending)
			return len(ds) == 1 && ds[0].Attempts > 0
		})
		if d := e.deliveries(t, vigil.DeliveryPending)[0]; d.LastError != webhooks.FailureNotAllowed || len(r.received()) != 1 {
			t.Fatalf("after rebinding: %+v, received %d", d, len(r.received()))
		}
	})
}

// TestABlackHoledEndpointDelaysOnlyItself registers a receiver that accepts connections and never
// answers beside a healthy one: the healthy one gets every delivery, in order, while the black
// hole's attempts are still waiting for their (long) timeout, and the black hole holds no more
// than its per-endpoint share of connections.
func TestABlackHoledEndpointDelaysOnlyItself(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		healthy, hole := newReceiver(t), newBlackHole(t)
		const perEndpoint = 2
		e := setup(t, b, healthy.URL, "", webhooks.Config{Allow: loopback, Timeout: time.Minute, PerEndpoint: perEndpoint})
		created, err := e.svc.CreateWebhook(context.Background(), e.tenant, vigil.WebhookSpec{URL: hole.URL()})
		if err != nil {
			t.Fatal(err)
		}
		holeID := strings.Split(string(created), `"`)[3] // {"id":"...",
		const users, events = 4, 3
		for u := range users {
			e.create(t, fmt.Sprintf(`{"userId":"u%d","createdTimestamp":1700000000000}`, u))
			for i := range events {
				if _, err := e.svc.ApplyEvent(context.Background(), e.tenant, vigil.Consumer, obj(t, fmt.Sprintf(
					`{"userId":"u%d","timestamp":%d,"updatedConsumerUserAttributes":{"tags":[{"key":"step","value":"%d"}]}}`,
					u, 1700000001000+i, i)), vigil.Flags{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		waitFor(t, "every delivery to the healthy endpoint", func() bool {
			return len(e.deliveries(t, vigil.DeliveryDelivered)) == users*events
		})
		holed, err := e.store.Deliveries(context.Background(), e.tenant.ID, holeID, "", 100)
		if err != nil || len(holed) != users*events {
			t.Fatalf("black-holed deliveries = %d, %v", len(holed), err)
		}
		for _, d := range holed {
			if d.Attempts != 0 {
				t.Fatalf("a black-holed attempt ended before the healthy deliveries were done: %+v", d)
			}
		}
		if got := hole.accepted.Load(); got > perEndpoint {
			t.Fatalf("the black hole holds %d connections, more than the %d per endpoint", got, perEndpoint)
		}
		steps := map[string]string{}
		for _, got := range healthy.received() {
			user := got.envelope.Data["userId"].(string)
			steps[user] += got.envelope.Data["tags"].([]any)[0].(map[string]any)["value"].(string)
		}
		for u := range users {
			if s := steps[fmt.Sprint("u", u)]; s != "012" {
				t.Fatalf("u%d's updates arrived as %q, want in order", u, s)
			}
		}
	})
}
