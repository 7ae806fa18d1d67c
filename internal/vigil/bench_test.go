package vigil_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// BenchmarkApplyEvent measures one durable event through the whole write path (validation,
// fold, rules, risk, storage) on each store (PostgreSQL when VIGIL_TEST_POSTGRES_DSN is set),
// from parallel clients so commits are shared.
func BenchmarkApplyEvent(b *testing.B) { benchmarkApplyEvent(b, false) }

// BenchmarkApplyEventSealing is BenchmarkApplyEvent with the audit sealer running, as in a
// server, every 100 ms: the whole cost of an event's audit record, its sealing included.
func BenchmarkApplyEventSealing(b *testing.B) { benchmarkApplyEvent(b, true) }

func benchmarkApplyEvent(b *testing.B, sealing bool) {
	for _, backend := range storetest.Backends(b) {
		b.Run(backend.Name, func(b *testing.B) {
			f := newFixture(b, backend)
			if sealing {
				ctx, stop := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() {
					defer close(done)
					f.svc.RunSealer(ctx, 100*time.Millisecond)
				}()
				defer func() {
					stop()
					<-done
				}()
			}
			t := b
			const users = 100
			for i := range users {
				f.createAs(t, vigil.Consumer, fmt.Sprintf(`{"userId":"u%d","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada"},"countryOfResidence":"DE"},"userStateDetails":{"state":"CREATED"}}`, i), vigil.Flags{})
			}
			var n atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					body := fmt.Sprintf(`{"userId":"u%d","timestamp":%d,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"},"tags":[{"key":"k","value":"%d"}]}}`, i%users, 1700000000000+i, i)
					if _, err := f.svc.ApplyEvent(context.Background(), f.tenant, vigil.Consumer, obj(t, body), vigil.Flags{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkImport10kEvents applies 10,000 events to 100 users as one batch and as single
// requests from 32 concurrent clients, through the whole write path on SQLite (durable).
// Run with -benchtime 1x; it reports events/s.
func BenchmarkImport10kEvents(b *testing.B) {
	const users, events, clients = 100, 10000, 32
	for _, mode := range []string{"batch", "single"} {
		b.Run(mode, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				f := newFixture(b, storetest.Backends(b)[0])
				var created []any
				for i := range users {
					created = append(created, obj(b, fmt.Sprintf(`{"userId":"u%d","createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"}}`, i)))
				}
				if _, err := f.svc.Batch(context.Background(), f.tenant, vigil.BatchConsumerUsers, schema.Object{"data": created}, vigil.Flags{}); err != nil {
					b.Fatal(err)
				}
				bodies := make([]schema.Object, events)
				for i := range bodies {
					bodies[i] = obj(b, fmt.Sprintf(`{"eventId":"e%d","userId":"u%d","timestamp":%d,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"},"tags":[{"key":"k","value":"%d"}]}}`,
						i, i%users, 1700000001000+int64(i), i))
				}
				b.StartTimer()
				if mode == "batch" {
					data := make([]any, events)
					for i, body := range bodies {
						data[i] = body
					}
					reply, err := f.svc.Batch(context.Background(), f.tenant, vigil.BatchConsumerEvents, schema.Object{"data": data}, vigil.Flags{})
					if err != nil || !strings.Contains(string(reply), `"successful":10000`) {
						b.Fatalf("batch: %v %.200s", err, reply)
					}
				} else {
					var next atomic.Int64
					var wg sync.WaitGroup
					for range clients {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for i := next.Add(1) - 1; i < events; i = next.Add(1) - 1 {
								if _, err := f.svc.ApplyEvent(context.Background(), f.tenant, vigil.Consumer, bodies[i], vigil.Flags{}); err != nil {
									b.Error(err)
									return
								}
							}
						}()
					}
					wg.Wait()
				}
				b.StopTimer()
				f.store.Close()
			}
			b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkEventByHistoryLength applies one event to a user whose history already holds n
// events: in order (folded incrementally, whatever the history), late (before every event of
// the history: it is read and refolded), and a pair, an in-order event and one late behind it
// alone (folded through the cached window of the last writes, whatever the history).
func BenchmarkEventByHistoryLength(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		f := newFixture(b, storetest.Backends(b)[0])
		f.createAs(b, vigil.Consumer, `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"}}`, vigil.Flags{})
		data := make([]any, n)
		for i := range data {
			data[i] = obj(b, fmt.Sprintf(`{"userId":"u1","timestamp":%d,"updatedConsumerUserAttributes":{"tags":[{"key":"k%d","value":"v"}]}}`, 1700000010000+int64(i)*10, i%50))
		}
		if _, err := f.svc.Batch(context.Background(), f.tenant, vigil.BatchConsumerEvents, schema.Object{"data": data}, vigil.Flags{}); err != nil {
			b.Fatal(err)
		}
		var last int64 = 1800000000000
		for _, mode := range []string{"in-order", "late", "pair-late-by-one"} {
			b.Run(fmt.Sprintf("history=%d/%s", n, mode), func(b *testing.B) {
				i := 0
				send := func(ts int64) {
					body := fmt.Sprintf(`{"userId":"u1","timestamp":%d,"updatedConsumerUserAttributes":{"occupation":"o%d"}}`, ts, i)
					if _, err := f.svc.ApplyEvent(context.Background(), f.tenant, vigil.Consumer, obj(b, body), vigil.Flags{}); err != nil {
						b.Fatal(err)
					}
				}
				for b.Loop() {
					i++
					switch mode {
					case "in-order":
						last += 10
						send(last) // after everything
					case "late":
						send(1700000005000 + int64(i%1000)) // before every event of the history
					default:
						last += 10
						send(last)
						send(last - 5) // behind the event just sent
					}
				}
			})
		}
		f.store.Close()
	}
}
