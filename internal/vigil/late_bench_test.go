package vigil_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// BenchmarkLateEvent applies one durable event to a user whose history holds n events shaped
// like the benchmark load's (a state, a KYC status and a tag each), on each store: in order, and
// late behind the last event, behind half of the history and before all of it, through the fold
// index ("index") and by reading and refolding the whole history ("refold", what every late
// event did before the index). No user cache, so nothing is folded from a cached window: every
// event reads its user's row, as after a restart or with many users.
func BenchmarkLateEvent(b *testing.B) {
	for _, backend := range storetest.Backends(b) {
		for _, n := range []int{1_000, 10_000, 50_000} {
			b.Run(fmt.Sprintf("%s/history=%d", backend.Name, n), func(b *testing.B) { benchmarkLateEvent(b, backend, n) })
		}
	}
}

func benchmarkLateEvent(b *testing.B, backend storetest.Backend, n int) {
	ctx := context.Background()
	f := newFixtureWith(b, backend.Open(b), vigil.Options{UserCacheBytes: -1})
	refold, err := vigil.NewService(f.store, vigil.Options{UserCacheBytes: -1, LateEventsRefold: true,
		Now: func() time.Time { return time.UnixMilli(fixedNow) }})
	if err != nil {
		b.Fatal(err)
	}
	const first = int64(1700000010000)
	f.createAs(b, vigil.Consumer, `{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada","lastName":"Lovelace"},"countryOfResidence":"DE"},"userStateDetails":{"state":"CREATED"}}`, vigil.Flags{})
	states := []string{"ACTIVE", "SUSPENDED", "DORMANT"}
	kyc := []string{"IN_PROGRESS", "SUCCESSFUL", "MANUAL_REVIEW"}
	for start := 0; start < n; start += 10_000 {
		data := make([]any, 0, 10_000)
		for i := start; i < min(n, start+10_000); i++ {
			data = append(data, obj(b, fmt.Sprintf(`{"userId":"u1","timestamp":%d,"updatedConsumerUserAttributes":`+
				`{"userStateDetails":{"state":%q},"kycStatusDetails":{"status":%q},"tags":[{"key":"batch","value":"%d"}]}}`,
				first+int64(i)*10, states[i%3], kyc[i%3], i%10)))
		}
		if _, err := f.svc.Batch(ctx, f.tenant, vigil.BatchConsumerEvents, schema.Object{"data": data}, vigil.Flags{}); err != nil {
			b.Fatal(err)
		}
	}
	last := first + int64(n-1)*10
	lateness := []struct {
		name string
		ts   func() int64
	}{
		{"in-order", func() int64 { last += 10; return last }},
		{"late-by-1", func() int64 { return last - 5 }}, // behind the newest event only
		{"late-by-half", func() int64 { return first + int64(n/2)*10 - 5 }},
		{"late-to-beginning", func() int64 { return first - 5 }},
	}
	for _, late := range lateness {
		for _, way := range []struct {
			name string
			svc  *vigil.Service
		}{{"index", f.svc}, {"refold", refold}} {
			if late.name == "in-order" && way.svc == refold {
				continue // an event in order refolds nothing either way
			}
			b.Run(late.name+"/"+way.name, func(b *testing.B) {
				i := 0
				for b.Loop() {
					i++
					ts := late.ts()
					body := fmt.Sprintf(`{"userId":"u1","timestamp":%d,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"BLOCKED"},"occupation":"o%d"}}`, ts, i)
					if _, err := way.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(b, body), vigil.Flags{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	f.store.Close()
}
