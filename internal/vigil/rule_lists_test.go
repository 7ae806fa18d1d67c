package vigil_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestResponsesNameTheirRuleList: an event's stored response names its rule list instead of
// carrying the rules' versions, and a service that never saw the list (another process, or this
// one restarted) reads it from the store: its replay of a retry and its GET of the event are the
// first service's, byte for byte.
func TestResponsesNameTheirRuleList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		f.create(t, `{"userId":"u1","createdTimestamp":1700000000000}`, vigil.Flags{})
		const body = `{"eventId":"e1","userId":"u1","timestamp":1700000001000,
			"updatedConsumerUserAttributes":{"userStateDetails":{"state":"BLOCKED"}}}`
		first, err := f.event(t, body, vigil.Flags{})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := f.store.Event(ctx, f.tenant.ID, vigil.Consumer, "e1")
		if err != nil {
			t.Fatal(err)
		}
		if len(stored.Response) == 0 || stored.Response[0] != 0x02 || bytes.Contains(stored.Response, []byte(`"v":`)) {
			t.Fatalf("stored response %q does not name a rule list", stored.Response)
		}
		got, err := f.svc.Event(ctx, f.tenant, vigil.Consumer, "e1")
		if err != nil {
			t.Fatal(err)
		}

		// The GET first: computing the retry's outcome ahead makes the same list again.
		fresh := newFixtureOn(t, f.store)
		again, err := fresh.svc.Event(ctx, f.tenant, vigil.Consumer, "e1")
		if err != nil || !bytes.Equal(again, got) {
			t.Errorf("a fresh service's GET of the event: %v\n%s\nwant\n%s", err, again, got)
		}
		replay, err := newFixtureOn(t, f.store).svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, body), vigil.Flags{})
		if err != nil || !replay.Replayed || !bytes.Equal(replay.Body, first.Body) {
			t.Errorf("a fresh service's replay: %v, replayed %t, same body %t", err, replay.Replayed, bytes.Equal(replay.Body, first.Body))
		}
	})
}
