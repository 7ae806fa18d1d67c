package vigil

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// MaxRateLimitBurst bounds a burst so a bucket's size, and the quota the server advertises, stay
// sane numbers.
const MaxRateLimitBurst = 1_000_000

// RateLimit is a request rate limit: a token bucket that refills at RPS requests per second and
// holds at most Burst. A tenant's own limit overrides the server's default; RPS 0 means no limit.
type RateLimit struct {
	TenantID  string
	RPS       float64
	Burst     int
	UpdatedAt int64
}

// Unlimited reports whether the limit lets every request through.
func (l RateLimit) Unlimited() bool { return l.RPS <= 0 }

// WithDefaultBurst returns the limit with its burst filled in when unset: one second's worth of
// requests, at least 1.
func (l RateLimit) WithDefaultBurst() RateLimit {
	if l.Burst <= 0 && !l.Unlimited() {
		l.Burst = int(min(math.Ceil(l.RPS), MaxRateLimitBurst))
	}
	return l
}

// String describes the limit for people.
func (l RateLimit) String() string {
	if l.Unlimited() {
		return "no limit"
	}
	return fmt.Sprintf("%g requests/s, burst %d", l.RPS, l.Burst)
}

// CheckRateLimit validates a limit as an operator gives it (rps 0: none; burst 0: the default).
func CheckRateLimit(rps float64, burst int) error {
	switch {
	case math.IsNaN(rps) || math.IsInf(rps, 0) || rps < 0 || rps > MaxRateLimitBurst:
		return invalidf("rps", "must be a number from 0 (no limit) to %d", MaxRateLimitBurst)
	case burst < 0 || burst > MaxRateLimitBurst:
		return invalidf("burst", "must be from 0 (one second's worth of requests) to %d", MaxRateLimitBurst)
	case rps == 0 && burst != 0:
		return invalidf("burst", "means nothing without a limit (rps 0)")
	}
	return nil
}

// SetRateLimit gives a named tenant its own limit, replacing any earlier one; rps 0 exempts it
// from the server's default. Every server process applies it within a few seconds.
func (s *Service) SetRateLimit(ctx context.Context, tenantName string, rps float64, burst int) (RateLimit, error) {
	if err := CheckRateLimit(rps, burst); err != nil {
		return RateLimit{}, err
	}
	l := RateLimit{RPS: rps, Burst: burst, UpdatedAt: s.nowMillis()}.WithDefaultBurst()
	err := s.write(ctx, func(tx Tx) error {
		t, err := tenantByName(ctx, tx, tenantName)
		if err != nil {
			return err
		}
		l.TenantID = t.ID
		if err := tx.PutRateLimit(ctx, l); err != nil {
			return err
		}
		return s.Audit(ctx, tx, t.ID, AuditRateLimitSet, "tenant/"+t.Name+"/rate_limit",
			digestOf(fmt.Appendf(nil, "rps=%g burst=%d", l.RPS, l.Burst)))
	})
	return l, err
}

// ClearRateLimit removes a named tenant's own limit, so the server's default applies to it.
func (s *Service) ClearRateLimit(ctx context.Context, tenantName string) error {
	return s.write(ctx, func(tx Tx) error {
		t, err := tenantByName(ctx, tx, tenantName)
		if err != nil {
			return err
		}
		if err := tx.DeleteRateLimit(ctx, t.ID); err != nil {
			return err
		}
		return s.Audit(ctx, tx, t.ID, AuditRateLimitClear, "tenant/"+t.Name+"/rate_limit", nil)
	})
}

// RateLimits reads every tenant's own limit, by tenant id: one small read, cheap enough to
// repeat every few seconds.
func (s *Service) RateLimits(ctx context.Context) (map[string]RateLimit, error) {
	list, err := s.store.RateLimits(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]RateLimit, len(list))
	for _, l := range list {
		out[l.TenantID] = l
	}
	return out, nil
}

// tenantByName finds a tenant inside a write, with the error a person can act on.
func tenantByName(ctx context.Context, tx Tx, name string) (Tenant, error) {
	t, err := tx.TenantByName(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return t, notFoundf("No tenant named %q (create it with: vigil keys create --tenant %s)", name, name)
	}
	return t, err
}
