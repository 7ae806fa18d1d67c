package vigil_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestStoredResponsesComeBackWhole: responses are stored without the rules' text, and every
// read gives back the first response byte for byte: a replayed event, GET of the event, a
// create of an existing user, GET of the user. It holds after the rule changes (the text is the
// version's that judged the write), and for a second service on the same store, which has to
// read the version.
func TestStoredResponsesComeBackWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ctx := context.Background()
		f.create(t, cleanConsumer, vigil.Flags{})
		const sanctioned = `{"eventId":"e-1","userId":"clean","timestamp":1700000001000,"updatedConsumerUserAttributes":{"sanctionsStatus":true}}`
		first, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, sanctioned), vigil.Flags{})
		if err != nil {
			t.Fatal(err)
		}
		var reply struct {
			HitRules []struct {
				RuleInstanceID string `json:"ruleInstanceId"`
				RuleName       string `json:"ruleName"`
			} `json:"hitRules"`
		}
		if err := json.Unmarshal(first.Body, &reply); err != nil || len(reply.HitRules) == 0 {
			t.Fatalf("event reply %s: %v, want a hit", first.Body, err)
		}

		stored, err := f.store.Event(ctx, f.tenant.ID, vigil.Consumer, "e-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(stored.Response)*3 > len(first.Body) || bytes.Contains(stored.Response, []byte(reply.HitRules[0].RuleName)) {
			t.Errorf("stored response is %d bytes for a %d-byte reply and holds the rule's name; want it compact", len(stored.Response), len(first.Body))
		}

		// The rule changes its name: what was said before keeps the name it had.
		hit := reply.HitRules[0].RuleInstanceID
		doc, err := f.svc.GetRule(ctx, f.tenant, hit)
		if err != nil {
			t.Fatal(err)
		}
		renamed := strings.Replace(string(doc), reply.HitRules[0].RuleName, "Renamed", 1)
		if _, err := f.svc.PutRule(ctx, f.tenant, hit, []byte(renamed)); err != nil {
			t.Fatal(err)
		}

		other, err := vigil.NewService(f.store, vigil.Options{Now: func() time.Time { return time.UnixMilli(fixedNow) }})
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range []struct {
			name string
			s    *vigil.Service
		}{{"same service", f.svc}, {"second service", other}} {
			again, err := svc.s.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, sanctioned), vigil.Flags{})
			if err != nil {
				t.Fatal(err)
			}
			if !again.Replayed || !bytes.Equal(again.Body, first.Body) {
				t.Errorf("%s: replay (replayed %v)\n%s\nwant the first reply\n%s", svc.name, again.Replayed, again.Body, first.Body)
			}
			event, err := svc.s.Event(ctx, f.tenant, vigil.Consumer, "e-1")
			if err != nil {
				t.Fatal(err)
			}
			sameFields(t, svc.name+": GET event", event, first.Body, "executedRules", "hitRules", "riskScoreDetails")
			user, err := svc.s.User(ctx, f.tenant, vigil.Consumer, "clean")
			if err != nil {
				t.Fatal(err)
			}
			sameFields(t, svc.name+": GET user", user, first.Body, "executedRules", "hitRules", "riskScoreDetails", "status")
			existing, err := svc.s.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, cleanConsumer), vigil.Flags{})
			if err != nil {
				t.Fatal(err)
			}
			sameFields(t, svc.name+": create of the existing user", existing, first.Body, "executedRules", "hitRules", "riskScoreDetails", "status")
		}

	})
}

// sameFields fails unless the JSON objects got and want have equal values under every field
// (GET of an event writes its objects' keys in another order).
func sameFields(t *testing.T, what string, got, want []byte, fields ...string) {
	t.Helper()
	var g, w map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, f := range fields {
		if w[f] == nil || !reflect.DeepEqual(g[f], w[f]) {
			t.Errorf("%s: %s = %v, want %v", what, f, g[f], w[f])
		}
	}
}
