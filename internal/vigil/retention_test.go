package vigil_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestRetentionFoldsHistoryAway writes the same history to two stores, prunes one with a
// 30-day retention, and checks that the pruned store keeps fewer entries yet gives the same
// profile and, for later events in order or slightly late, the same answers byte for byte; that
// an event dated before the retention period is refused; that a pruned event is gone; and that
// pruning again finds nothing.
func TestRetentionFoldsHistoryAway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		const day = int64(24 * time.Hour / time.Millisecond)
		old := int64(fixedNow) - 400*day
		recent := int64(fixedNow) - 2*day
		pruned, control := newFixture(t, b), newFixture(t, b)
		history := []string{`{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada"}},"tags":[{"key":"a","value":"1"}]}`}
		events := []string{
			eventFor(vigil.Consumer, "e1", "u1", old+1000, `{"userStateDetails":{"state":"ACTIVE"},"tags":[{"key":"b","value":"2"}]}`),
			eventFor(vigil.Consumer, "e2", "u1", old+3000, `{"kycStatusDetails":{"status":"SUCCESSFUL"},"userDetails":{"name":{"lastName":"Lovelace"}}}`),
			eventFor(vigil.Consumer, "e3", "u1", old+2000, `{"userDetails":{"name":{"firstName":"Augusta"}},"userStateDetails":{"state":"SUSPENDED"}}`), // late
			eventFor(vigil.Consumer, "e4", "u1", old+4000, `{"contactDetails":{"emailIds":["ada@example.com"]}}`),
			eventFor(vigil.Consumer, "e5", "u1", recent, `{"userStateDetails":{"state":"ACTIVE"}}`),
			eventFor(vigil.Consumer, "e6", "u1", recent+1000, `{"tags":[{"key":"c","value":"3"}]}`),
			eventFor(vigil.Consumer, "e7", "u1", recent+5000, `{"kycStatusDetails":{"status":"MANUAL_REVIEW"}}`),
		}
		for _, f := range []*fixture{pruned, control} {
			f.create(t, history[0], vigil.Flags{})
			for _, ev := range events {
				if _, err := f.event(t, ev, vigil.Flags{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		count := func(f *fixture) int {
			rec, err := f.store.User(ctx, f.tenant.ID, "u1")
			if err != nil {
				t.Fatal(err)
			}
			entries, err := f.store.UserEntries(ctx, f.tenant.ID, rec.UID)
			if err != nil {
				t.Fatal(err)
			}
			return len(entries)
		}
		before := count(pruned)
		var ids int
		retaining, err := vigil.NewService(pruned.store, vigil.Options{RetainHistory: 30 * 24 * time.Hour,
			Now: func() time.Time { return time.UnixMilli(fixedNow) }, NewID: func() string { ids++; return fmt.Sprint("r-", ids) }})
		if err != nil {
			t.Fatal(err)
		}
		n, err := retaining.PruneHistory(ctx, int64(fixedNow)-30*day, 100)
		if err != nil || n != 1 {
			t.Fatalf("PruneHistory = %d, %v; want one user pruned", n, err)
		}
		if after := count(pruned); after >= before || after != count(control)-4 {
			t.Fatalf("entries: %d before, %d after pruning, %d unpruned; want the 4 old events folded away", before, after, count(control))
		}
		profile := func(svc *vigil.Service, f *fixture) []byte {
			reply, err := svc.User(ctx, f.tenant, vigil.Consumer, "u1")
			if err != nil {
				t.Fatal(err)
			}
			return reply
		}
		if p, c := profile(retaining, pruned), profile(control.svc, control); !bytes.Equal(p, c) {
			t.Fatalf("profile after pruning:\n%s\nwant\n%s", p, c)
		}
		for _, ev := range []string{
			eventFor(vigil.Consumer, "e8", "u1", recent+9000, `{"tags":[{"key":"d","value":"4"}]}`),
			eventFor(vigil.Consumer, "e9", "u1", recent+500, `{"userDetails":{"name":{"middleName":"King"}}}`), // late, behind the kept entries
			eventFor(vigil.Consumer, "e10", "u1", recent-day, `{"userStateDetails":{"state":"BLOCKED"}}`),      // later than the folded history
		} {
			p, err := retaining.ApplyEvent(ctx, pruned.tenant, vigil.Consumer, obj(t, ev), vigil.Flags{})
			if err != nil {
				t.Fatal(err)
			}
			c, err := control.svc.ApplyEvent(ctx, control.tenant, vigil.Consumer, obj(t, ev), vigil.Flags{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.Body, c.Body) {
				t.Fatalf("answer to %s after pruning:\n%s\nwant\n%s", ev, p.Body, c.Body)
			}
		}
		_, err = retaining.ApplyEvent(ctx, pruned.tenant, vigil.Consumer, obj(t, eventFor(vigil.Consumer, "e-old", "u1", old+5000, "")), vigil.Flags{})
		if codeOf(err) != vigil.CodeInvalid {
			t.Fatalf("an event older than the retention period: %v, want a 400", err)
		}
		if _, err := retaining.Event(ctx, pruned.tenant, vigil.Consumer, "e2"); codeOf(err) != vigil.CodeNotFound {
			t.Fatalf("a pruned event: %v, want 404", err)
		}
		if _, err := control.svc.Event(ctx, control.tenant, vigil.Consumer, "e2"); err != nil {
			t.Fatalf("the unpruned event: %v", err)
		}
		if n, err := retaining.PruneHistory(ctx, int64(fixedNow)-30*day, 100); err != nil || n != 0 {
			t.Fatalf("pruning again = %d, %v; want nothing left to prune", n, err)
		}
	})
}
