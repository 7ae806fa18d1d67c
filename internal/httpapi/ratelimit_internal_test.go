package httpapi

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestRateBucketsBounded checks that however many tenants send, the buckets kept stay under the
// bound, and that a full bucket, dropped, is recreated full (nothing lost).
func TestRateBucketsBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := NewRateLimiter(nil, RateLimiterOptions{MaxBuckets: 64, Now: func() time.Time { return now }})
	lim := vigil.RateLimit{RPS: 1, Burst: 2}
	for i := range 10_000 {
		if d := l.take(fmt.Sprintf("t%d", i), lim, now); !d.allowed {
			t.Fatalf("tenant %d's first request refused", i)
		}
		if len(l.buckets) > 64 {
			t.Fatalf("after %d tenants: %d buckets, bound 64", i+1, len(l.buckets))
		}
	}
	// Two seconds on, every bucket is full again: making room drops them all.
	now = now.Add(2 * time.Second)
	l.mu.Lock()
	l.dropFull(now)
	n := len(l.buckets)
	l.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d buckets left after all refilled", n)
	}
}
