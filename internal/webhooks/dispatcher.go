// Package webhooks delivers the webhook outbox: it leases due deliveries from the store, signs
// each body with the endpoint's active secrets, POSTs it with a timeout, and records the attempt
// with the class of its failure, retrying with jittered exponential backoff until a delivery is
// too old, when it is marked FAILED. Order per user and endpoint comes from the store's claim.
// Each endpoint has a few deliveries in flight at most, so a slow receiver delays only its own.
// Outbound connections are checked against a Policy that refuses the host's own and private
// networks unless the operator opens them.
package webhooks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
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
	// Timeout bounds one attempt, from connecting to the answer's status (default 10 s).
	Timeout time.Duration
	// FirstRetry is the delay after the first failure; each failure doubles it (default 10 s).
	// Each delay is drawn between half of it and all of it, so that the retries of deliveries
	// that failed together spread out.
	FirstRetry time.Duration
	// MaxBackoff caps the delay between attempts (default 1 h).
	MaxBackoff time.Duration
	// GiveUpAfter is how long after its creation a delivery is retried (default 24 h).
	GiveUpAfter time.Duration
	// Poll is how often the outbox is checked when nothing wakes the dispatcher (default 1 s).
	Poll time.Duration
	// Concurrency bounds the deliveries in flight (default 32).
	Concurrency int
	// PerEndpoint bounds the deliveries in flight to one endpoint (default 4): an endpoint
	// that does not answer holds that many connections until they time out, and no more.
	PerEndpoint int
	// Allow and Deny are the operator's ranges of the Policy that decides where deliveries may
	// connect (see Policy).
	Allow, Deny []netip.Prefix
	// Resolver looks up receivers' names (nil: the system's).
	Resolver *net.Resolver
	Now      func() time.Time
	Logger   *slog.Logger
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
	// jitter draws a number in [0, 1) for a retry's delay.
	jitter func() float64

	mu sync.Mutex
	// busy counts the deliveries in flight per endpoint id; inFlight is their sum.
	busy     map[string]int
	inFlight int
	attempts sync.WaitGroup
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
		cfg.Concurrency = 32
	}
	if cfg.PerEndpoint <= 0 {
		cfg.PerEndpoint = 4
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	policy := NewPolicy(cfg.Allow, cfg.Deny)
	dialer := &net.Dialer{Timeout: cfg.Timeout, Resolver: cfg.Resolver, Control: guard(policy)}
	transport := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4,
		TLSHandshakeTimeout: cfg.Timeout, ResponseHeaderTimeout: cfg.Timeout,
		// No proxy: the guard must see the receiver's address, not a proxy's.
		Proxy: nil}
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout,
		// Redirects are not followed: a receiver answers itself, and a redirect could point
		// anywhere the tenant could not register.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Dispatcher{store: store, cfg: cfg, client: client, wake: make(chan struct{}, 1),
		jitter: rand.Float64, busy: map[string]int{}}
}

// Wake makes the dispatcher look at the outbox now; it never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight, which end early (and
// are recorded as interrupted).
func (d *Dispatcher) Run(ctx context.Context) {
	defer d.attempts.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.wake:
		}
		for d.claim(ctx) > 0 && ctx.Err() == nil {
			// Work was found: look again at once, later deliveries may have become eligible.
		}
		timer.Reset(d.cfg.Poll)
	}
}

// claim leases the due deliveries there is room for and starts their attempts; it returns how
// many it started. An endpoint with deliveries still in flight gets no more until they end, so
// each endpoint's deliveries are taken PerEndpoint at a time: a receiver that hangs holds its
// own slots, never the others'. An attempt that ends wakes the dispatcher.
func (d *Dispatcher) claim(ctx context.Context) int {
	d.mu.Lock()
	room := d.cfg.Concurrency - d.inFlight
	skip := make([]string, 0, len(d.busy))
	for id := range d.busy {
		skip = append(skip, id)
	}
	d.mu.Unlock()
	if room <= 0 {
		return 0
	}
	now := d.cfg.Now()
	// A lease outlives one attempt; if the process dies mid-attempt, another takes over after it.
	lease := now.Add(d.cfg.Timeout + 5*time.Second)
	due, err := d.store.ClaimDeliveries(ctx, vigil.DeliveryClaim{Now: now.UnixMilli(), LeaseUntil: lease.UnixMilli(),
		Limit: room, PerEndpoint: d.cfg.PerEndpoint, SkipEndpoints: skip})
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Logger.Error("webhooks: claim deliveries", "err", err)
		}
		return 0
	}
	endpoints := map[string]map[string]vigil.WebhookEndpoint{}
	started := 0
	for _, del := range due {
		byID, ok := endpoints[del.TenantID]
		if !ok {
			es, err := d.store.WebhookEndpoints(ctx, del.TenantID)
			if err != nil {
				if ctx.Err() == nil {
					d.cfg.Logger.Error("webhooks: endpoints", "tenant", del.TenantID, "err", err)
				}
				continue // the lease runs out and the delivery is claimed again
			}
			byID = map[string]vigil.WebhookEndpoint{}
			for _, e := range es {
				byID[e.ID] = e
			}
			endpoints[del.TenantID] = byID
		}
		endpoint, exists := byID[del.EndpointID]
		d.mu.Lock()
		d.busy[del.EndpointID]++
		d.inFlight++
		d.mu.Unlock()
		d.attempts.Add(1)
		started++
		go func() {
			defer d.attempts.Done()
			d.attempt(ctx, del, endpoint, exists)
			d.mu.Lock()
			if d.busy[del.EndpointID]--; d.busy[del.EndpointID] == 0 {
				delete(d.busy, del.EndpointID)
			}
			d.inFlight--
			d.mu.Unlock()
			d.Wake()
		}()
	}
	return started
}

// Errors of attempts that never reached the network.
var (
	errEndpointGone = errors.New("webhooks: the endpoint was removed")
	errBadURL       = errors.New("webhooks: the endpoint's URL cannot be requested")
)

// attempt sends one delivery and records the outcome: on failure, only its class, and the
// details in the operator's log.
func (d *Dispatcher) attempt(ctx context.Context, del vigil.Delivery, e vigil.WebhookEndpoint, exists bool) {
	start := d.cfg.Now()
	a := vigil.DeliveryAttempt{DeliveryID: del.ID, Attempt: del.Attempts + 1, At: start.UnixMilli()}
	var err error
	if !exists {
		err = errEndpointGone
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
		class := classify(err)
		d.cfg.Logger.Info("webhooks: attempt failed", "tenant", del.TenantID, "endpoint", del.EndpointID,
			"delivery", del.ID, "attempt", a.Attempt, "class", class, "err", err)
		a.Error, del.LastError = class, class
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

// backoff is the delay after the n-th failed attempt: FirstRetry doubling, capped at
// MaxBackoff, and then drawn uniformly between half of that and all of it.
func (d *Dispatcher) backoff(failures int) time.Duration {
	delay := math.Min(float64(d.cfg.FirstRetry)*math.Pow(2, float64(failures-1)), float64(d.cfg.MaxBackoff))
	return time.Duration(delay * (1 - d.jitter()/2))
}

// send POSTs a delivery; a 2xx answer is success.
func (d *Dispatcher) send(ctx context.Context, del vigil.Delivery, e vigil.WebhookEndpoint, now time.Time) (int, error) {
	var secrets []string
	for _, s := range e.Secrets {
		if s.ExpiresAt == 0 || s.ExpiresAt > now.UnixMilli() {
			secrets = append(secrets, s.Secret)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(del.Payload))
	if err != nil {
		return 0, errors.Join(errBadURL, err)
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
		return res.StatusCode, statusFailure(res.StatusCode)
	}
	return res.StatusCode, nil
}

// guard refuses connections to addresses the policy does not permit. It runs on the resolved
// address of every connection, so a name that resolves to a refused address is refused too,
// whenever it was registered and whatever it resolved to before.
func guard(policy Policy) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !policy.Permits(ap.Addr()) {
			return errNotAllowed
		}
		return nil
	}
}
