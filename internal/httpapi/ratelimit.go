package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// DefaultMaxRateBuckets bounds the token buckets a RateLimiter keeps in memory (about 100 bytes
// each).
const DefaultMaxRateBuckets = 100_000

// rateLimitPolicy names the one quota policy in the RateLimit-Policy and RateLimit fields.
const rateLimitPolicy = `"tenant"`

// RateLimiter holds each tenant's requests to its rate limit: a token bucket per tenant, kept in
// memory, checked right after authentication so a flooding tenant's requests are refused before
// their bodies are read. Limits come from the database (Refresh, Run), so every server process
// applies a change within a refresh interval; each process has its own buckets.
type RateLimiter struct {
	source     func(context.Context) (map[string]vigil.RateLimit, error)
	fallback   *policy
	log        *slog.Logger
	now        func() time.Time
	maxBuckets int

	// limits is every tenant's own limit by tenant id, replaced whole on each refresh.
	limits atomic.Pointer[map[string]*policy]

	mu      sync.Mutex
	buckets map[string]*bucket
}

// RateLimiterOptions configures a RateLimiter.
type RateLimiterOptions struct {
	// Default applies to tenants without their own limit; RPS 0 means none.
	Default vigil.RateLimit
	// MaxBuckets bounds the buckets kept in memory; 0 means DefaultMaxRateBuckets.
	MaxBuckets int
	Logger     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewRateLimiter returns a limiter reading tenants' own limits from source (the service's
// RateLimits); it holds none until the first Refresh.
func NewRateLimiter(source func(context.Context) (map[string]vigil.RateLimit, error), opts RateLimiterOptions) *RateLimiter {
	l := &RateLimiter{source: source, fallback: newPolicy(opts.Default), log: opts.Logger, now: opts.Now,
		maxBuckets: opts.MaxBuckets, buckets: map[string]*bucket{}}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.maxBuckets <= 0 {
		l.maxBuckets = DefaultMaxRateBuckets
	}
	l.limits.Store(&map[string]*policy{})
	return l
}

// policy is a limit with the parts of its answers that do not change, made once.
type policy struct {
	vigil.RateLimit
	// header is the RateLimit-Policy field; refusal starts the 429's message.
	header, refusal string
}

func newPolicy(l vigil.RateLimit) *policy {
	l = l.WithDefaultBurst()
	p := &policy{RateLimit: l}
	if !l.Unlimited() {
		// q is the burst and w the seconds an empty bucket takes to refill (docs/decisions.md).
		window := max(1, int64(math.Ceil(float64(l.Burst)/l.RPS)))
		p.header = rateLimitPolicy + ";q=" + strconv.Itoa(l.Burst) + ";w=" + strconv.FormatInt(window, 10)
		p.refusal = "Too many requests: this tenant may send " + l.String() + "; retry after "
	}
	return p
}

// Refresh reads every tenant's own limit again and forgets buckets that are full, which a new
// bucket would equal.
func (l *RateLimiter) Refresh(ctx context.Context) error {
	limits, err := l.source(ctx)
	if err != nil {
		return fmt.Errorf("read rate limits: %w", err)
	}
	old := *l.limits.Load()
	policies := make(map[string]*policy, len(limits))
	for id, lim := range limits {
		if p, ok := old[id]; ok && p.RPS == lim.RPS && p.Burst == lim.WithDefaultBurst().Burst {
			policies[id] = p // unchanged: keep its fields, made once
			continue
		}
		policies[id] = newPolicy(lim)
	}
	l.limits.Store(&policies)
	now := l.now()
	l.mu.Lock()
	l.dropFull(now)
	l.mu.Unlock()
	return nil
}

// Run refreshes every interval until ctx ends. A failed read keeps the limits last read.
func (l *RateLimiter) Run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := l.Refresh(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("rate limits not refreshed; keeping the last ones read", "err", err)
			}
		}
	}
}

// limitOf is the limit that applies to a tenant: its own, else the default.
func (l *RateLimiter) limitOf(tenantID string) *policy {
	if own, ok := (*l.limits.Load())[tenantID]; ok {
		return own
	}
	return l.fallback
}

// admit takes a token from the tenant's bucket. It sets the RateLimit-Policy and RateLimit
// fields on every answer to a limited tenant, and answers 429 itself (returning false) when the
// bucket is empty. A nil limiter admits everything.
func (l *RateLimiter) admit(w http.ResponseWriter, tenantID string) bool {
	if l == nil {
		return true
	}
	lim := l.limitOf(tenantID)
	if lim.Unlimited() {
		return true
	}
	d := l.take(tenantID, lim.RateLimit, l.now())
	h := w.Header()
	reset := strconv.FormatInt(d.reset, 10)
	h.Set("RateLimit-Policy", lim.header)
	h.Set("RateLimit", rateLimitPolicy+";r="+strconv.Itoa(d.remaining)+";t="+reset)
	if d.allowed {
		return true
	}
	h.Set("Retry-After", reset)
	writeJSON(w, http.StatusTooManyRequests, errorBody{Message: lim.refusal + reset + " s"})
	return false
}

// decision is the outcome of one take.
type decision struct {
	allowed bool
	// remaining is the whole tokens left; reset is the seconds until the bucket is full again
	// (when allowed) or holds a token (when not).
	remaining int
	reset     int64
}

// bucket is one tenant's token bucket.
type bucket struct {
	rps    float64
	burst  float64
	tokens float64
	last   time.Time
}

// refill adds the tokens earned since the last take, up to the burst.
func (b *bucket) refill(now time.Time) {
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed*b.rps)
		b.last = now
	}
}

func (l *RateLimiter) take(tenantID string, lim vigil.RateLimit, now time.Time) decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[tenantID]
	if !ok {
		if len(l.buckets) >= l.maxBuckets {
			l.makeRoom(now)
		}
		b = &bucket{tokens: float64(lim.Burst), last: now}
		l.buckets[tenantID] = b
	}
	b.refill(now)
	// A changed limit applies at once; the tokens already earned stay, up to the new burst.
	b.rps, b.burst = lim.RPS, float64(lim.Burst)
	b.tokens = min(b.tokens, b.burst)
	if b.tokens < 1 {
		return decision{reset: max(1, int64(math.Ceil((1-b.tokens)/b.rps)))}
	}
	b.tokens--
	return decision{allowed: true, remaining: int(b.tokens), reset: int64(math.Ceil((b.burst - b.tokens) / b.rps))}
}

// makeRoom frees buckets when the map is full: first the full ones (no loss), then, if none
// was, an arbitrary sixteenth, whose tenants get a fresh burst: the price of a bounded map.
func (l *RateLimiter) makeRoom(now time.Time) {
	if l.dropFull(now); len(l.buckets) < l.maxBuckets {
		return
	}
	drop := max(1, len(l.buckets)/16)
	for id := range l.buckets {
		if drop == 0 {
			break
		}
		delete(l.buckets, id)
		drop--
	}
}

// dropFull forgets the buckets that have refilled completely. The caller holds l.mu.
func (l *RateLimiter) dropFull(now time.Time) {
	for id, b := range l.buckets {
		if b.refill(now); b.tokens >= b.burst {
			delete(l.buckets, id)
		}
	}
}
