// Package webhooks delivers the webhook outbox: it leases due deliveries from the store, signs
// each body with the endpoint's active secrets, POSTs it with a timeout, and records the attempt,
// retrying with exponential backoff until a delivery is too old, when it is marked FAILED. Order
// per user and endpoint comes from the store's claim. Outbound connections can be limited to
// allowed networks.
package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
	"github.com/vigil-aml/vigil/webhooksig"
)

// Config tunes delivery. Zero values pick the defaults.
type Config struct {
	// Timeout bounds one attempt (default 10 s).
	Timeout time.Duration
	// FirstRetry is the delay after the first failure; each failure doubles it (default 10 s).
	FirstRetry time.Duration
	// MaxBackoff caps the delay between attempts (default 1 h).
	MaxBackoff time.Duration
	// GiveUpAfter is how long after its creation a delivery is retried (default 24 h).
	GiveUpAfter time.Duration
	// Poll is how often the outbox is checked when nothing wakes the dispatcher (default 1 s).
	Poll time.Duration
	// Concurrency bounds the deliveries in flight (default 8).
	Concurrency int
	// Allow and Deny limit the addresses webhooks may connect to: an address must be in Allow
	// (when Allow is not empty) and not in Deny.
	Allow, Deny []netip.Prefix
	Now         func() time.Time
	Logger      *slog.Logger
}

// maxResponseBody is how much of a receiver's answer is read.
const maxResponseBody = 64 << 10

// Dispatcher delivers webhooks. Run it in one goroutine per process; several processes on one
// database never deliver the same attempt at once.
type Dispatcher struct {
	store  vigil.Store
	cfg    Config
	client *http.Client
	wake   chan struct{}
}

// New builds a dispatcher on a store.
func New(store vigil.Store, cfg Config) *Dispatcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.FirstRetry <= 0 {
		cfg.FirstRetry = 10 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = 24 * time.Hour
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: guard(cfg.Allow, cfg.Deny)}
	transport := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4,
		ResponseHeaderTimeout: cfg.Timeout, Proxy: nil}
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout,
		// Redirects are not followed: a receiver answers itself, and a redirect could point
		// anywhere the guard does not see coming.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Dispatcher{store: store, cfg: cfg, client: client, wake: make(chan struct{}, 1)}
}

// Wake makes the dispatcher look at the outbox now; it never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.wake:
		}
		for d.round(ctx) > 0 && ctx.Err() == nil {
			// Work was found: look again at once, later deliveries may have become eligible.
		}
		timer.Reset(d.cfg.Poll)
	}
}

// round leases due deliveries and attempts them; it returns how many it attempted.
func (d *Dispatcher) round(ctx context.Context) int {
	now := d.cfg.Now()
	// A lease outlives one attempt; if the process dies mid-attempt, another takes over after it.
	lease := now.Add(d.cfg.Timeout + 5*time.Second)
	due, err := d.store.ClaimDeliveries(ctx, now.UnixMilli(), lease.UnixMilli(), d.cfg.Concurrency*4)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Logger.Error("webhooks: claim deliveries", "err", err)
		}
		return 0
	}
	endpoints := map[string]map[string]vigil.WebhookEndpoint{}
	sem := make(chan struct{}, d.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, del := range due {
		byID, ok := endpoints[del.TenantID]
		if !ok {
			es, err := d.store.WebhookEndpoints(ctx, del.TenantID)
			if err != nil {
				d.cfg.Logger.Error("webhooks: endpoints", "tenant", del.TenantID, "err", err)
				continue // the lease runs out and the delivery is claimed again
			}
			byID = map[string]vigil.WebhookEndpoint{}
			for _, e := range es {
				byID[e.ID] = e
			}
			endpoints[del.TenantID] = byID
		}
		endpoint, exists := byID[del.EndpointID]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.attempt(ctx, del, endpoint, exists)
		}()
	}
	wg.Wait()
	return len(due)
}

// attempt sends one delivery and records the outcome.
func (d *Dispatcher) attempt(ctx context.Context, del vigil.Delivery, e vigil.WebhookEndpoint, exists bool) {
	start := d.cfg.Now()
	a := vigil.DeliveryAttempt{DeliveryID: del.ID, Attempt: del.Attempts + 1, At: start.UnixMilli()}
	var err error
	if !exists {
		err = errors.New("the endpoint was removed")
	} else {
		a.StatusCode, err = d.send(ctx, del, e, start)
	}
	end := d.cfg.Now()
	a.DurationMs = end.Sub(start).Milliseconds()
	del.Attempts = a.Attempt
	del.LastStatus = a.StatusCode
	switch {
	case err == nil:
		del.Status, del.DeliveredAt, del.LastError = vigil.DeliveryDelivered, end.UnixMilli(), ""
	default:
		a.Error, del.LastError = err.Error(), err.Error()
		next := end.Add(d.backoff(del.Attempts))
		if !exists || next.Sub(time.UnixMilli(del.CreatedAt)) > d.cfg.GiveUpAfter {
			del.Status = vigil.DeliveryFailed
		} else {
			del.NextAttemptAt = next.UnixMilli()
		}
	}
	// Record even when ctx ends (shutdown): the attempt happened.
	if err := d.store.FinishAttempt(context.WithoutCancel(ctx), del, a); err != nil {
		d.cfg.Logger.Error("webhooks: record attempt", "delivery", del.ID, "err", err)
	}
}

// backoff is the delay after the n-th failed attempt: FirstRetry doubling, capped.
func (d *Dispatcher) backoff(failures int) time.Duration {
	delay := float64(d.cfg.FirstRetry) * math.Pow(2, float64(failures-1))
	return time.Duration(math.Min(delay, float64(d.cfg.MaxBackoff)))
}

// send POSTs a delivery; a 2xx answer is success.
func (d *Dispatcher) send(ctx context.Context, del vigil.Delivery, e vigil.WebhookEndpoint, now time.Time) (int, error) {
	var secrets []string
	for _, s := range e.Secrets {
		if s.ExpiresAt == 0 || s.ExpiresAt > now.UnixMilli() {
			secrets = append(secrets, s.Secret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(del.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vigil-Webhooks/1")
	req.Header.Set(webhooksig.Header, webhooksig.Sign(del.Payload, secrets...))
	res, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, maxResponseBody))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("the receiver answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

// guard refuses connections to addresses outside allow or inside deny. It runs on the resolved
// address at connection time, so a name that resolves to a denied address is refused too.
func guard(allow, deny []netip.Prefix) func(network, address string, c syscall.RawConn) error {
	if len(allow) == 0 && len(deny) == 0 {
		return nil
	}
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("webhooks: address %q: %w", address, err)
		}
		ip := ap.Addr().Unmap()
		for _, p := range deny {
			if p.Contains(ip) {
				return fmt.Errorf("webhooks: %s is in a denied network (%s)", ip, p)
			}
		}
		if len(allow) == 0 {
			return nil
		}
		for _, p := range allow {
			if p.Contains(ip) {
				return nil
			}
		}
		return fmt.Errorf("webhooks: %s is not in an allowed network", ip)
	}
}
