package webhooks

import (
	"testing"
	"time"
)

// TestBackoffJitterStaysWithinBounds checks that each retry's delay is drawn between half and
// all of the doubling, capped delay, and that the draws spread over that interval.
func TestBackoffJitterStaysWithinBounds(t *testing.T) {
	d := New(nil, Config{FirstRetry: 10 * time.Second, MaxBackoff: time.Hour})
	for failures := 1; failures <= 12; failures++ {
		full := min(10*time.Second<<(failures-1), time.Hour)
		for _, draw := range []float64{0, 0.5, 0.999999} {
			d.jitter = func() float64 { return draw }
			if got := d.backoff(failures); got < full/2 || got > full {
				t.Fatalf("failure %d, draw %v: delay %v outside [%v, %v]", failures, draw, got, full/2, full)
			}
		}
	}
	d = New(nil, Config{FirstRetry: 10 * time.Second})
	lowest, highest := time.Duration(1<<62), time.Duration(0)
	for range 2000 {
		got := d.backoff(1)
		if got < 5*time.Second || got > 10*time.Second {
			t.Fatalf("first retry after %v, outside [5s, 10s]", got)
		}
		lowest, highest = min(lowest, got), max(highest, got)
	}
	// With 2,000 uniform draws, missing either tenth of the interval has odds of 0.9^2000.
	if lowest > 5500*time.Millisecond || highest < 9500*time.Millisecond {
		t.Fatalf("2,000 first retries ranged only over [%v, %v]: not spread", lowest, highest)
	}
}
