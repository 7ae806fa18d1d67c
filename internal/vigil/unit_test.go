package vigil_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// writerWatch wraps a store and counts what runs while a unit of work runs in its writer.
type writerWatch struct {
	vigil.Store
	writing atomic.Int32
}

func (w *writerWatch) Update(ctx context.Context, fn func(vigil.Tx) error) error {
	return w.Store.Update(ctx, w.watched(fn))
}

func (w *writerWatch) UpdateAll(ctx context.Context, fns []func(vigil.Tx) error) ([]error, error) {
	wrapped := make([]func(vigil.Tx) error, len(fns))
	for i, fn := range fns {
		wrapped[i] = w.watched(fn)
	}
	return w.Store.UpdateAll(ctx, wrapped)
}

func (w *writerWatch) watched(fn func(vigil.Tx) error) func(vigil.Tx) error {
	return func(tx vigil.Tx) error {
		w.writing.Add(1)
		defer w.writing.Add(-1)
		return fn(tx)
	}
}

// TestOutcomesAreComputedBeforeTheWriter checks that no write computes its outcome (rules and
// risk, which read the clock) in the store's writer, which on SQLite every tenant shares: not a
// create, an update, an event, nor any record of a batch, a user's successive events included.
func TestOutcomesAreComputedBeforeTheWriter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		watch := &writerWatch{Store: b.Open(t)}
		var inWriter atomic.Int32
		clock := func() time.Time {
			if watch.writing.Load() > 0 {
				inWriter.Add(1)
			}
			return time.UnixMilli(fixedNow)
		}
		f := newFixtureWith(t, watch, vigil.Options{Now: clock})
		ctx := context.Background()
		steps := []struct {
			name string
			do   func() error
		}{
			{"create", func() error {
				_, err := f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, minimalUser(vigil.Consumer, "u-1")), vigil.Flags{})
				return err
			}},
			{"update (validateUserId=false)", func() error {
				no := false
				_, err := f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"u-1","createdTimestamp":1700000000000,"occupation":"pilot"}`),
					vigil.Flags{ValidateUserID: &no})
				return err
			}},
			{"event", func() error {
				_, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, `{"eventId":"e-1","userId":"u-1","timestamp":1700000100000,
					"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"}}}`), vigil.Flags{})
				return err
			}},
			{"batch of users", func() error {
				_, err := f.svc.Batch(ctx, f.tenant, vigil.BatchConsumerUsers, obj(t, `{"batchId":"bu","data":[
					{"userId":"b-1","createdTimestamp":1700000000000},{"userId":"b-2","createdTimestamp":1700000000000}]}`), vigil.Flags{})
				return err
			}},
			{"batch of events, several per user, one late", func() error {
				var data []string
				for i, ts := range []int{200, 300, 250, 400} {
					for _, u := range []string{"b-1", "b-2"} {
						data = append(data, fmt.Sprintf(`{"eventId":"be-%s-%d","userId":%q,"timestamp":1700000%06d,
							"updatedConsumerUserAttributes":{"tags":[{"key":"k%d","value":"v"}]}}`, u, i, u, ts*1000, i))
					}
				}
				reply, err := f.svc.Batch(ctx, f.tenant, vigil.BatchConsumerEvents,
					obj(t, `{"batchId":"be","data":[`+strings.Join(data, ",")+`]}`), vigil.Flags{})
				if err == nil && !strings.Contains(string(reply), `"successful":8`) {
					err = fmt.Errorf("batch reply %s", reply)
				}
				return err
			}},
		}
		// The fixture's key: its creation wrote, and its first use records its last use in a
		// write of its own that may still run. Wait for it, so no write overlaps the steps.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			keys, err := watch.Keys(ctx, f.tenant.ID)
			if err == nil && len(keys) == 1 && keys[0].LastUsedAt != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the fixture key's last use was never recorded: %v, %v", keys, err)
			}
		}
		inWriter.Store(0)
		for _, step := range steps {
			before := f.metrics.recomputedCount()
			if err := step.do(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			if n := inWriter.Swap(0); n != 0 {
				t.Errorf("%s: computed in the store's writer (%d clock reads there)", step.name, n)
			}
			if n := f.metrics.recomputedCount() - before; n != 0 {
				t.Errorf("%s: computed again %d times with no concurrent writer", step.name, n)
			}
		}
		// The chained outcomes are the ones a user's events in order give.
		p := f.profile(t, "b-2")
		if tags := fmt.Sprint(p["tags"]); !strings.Contains(tags, "k0") || !strings.Contains(tags, "k3") {
			t.Fatalf("b-2's tags after the batch = %s", tags)
		}
	})
}
