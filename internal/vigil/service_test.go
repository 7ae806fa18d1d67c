package vigil_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// fixture is a service on a real SQLite file with a fixed clock and predictable ids.
type fixture struct {
	svc     *vigil.Service
	store   vigil.Store
	tenant  vigil.Tenant
	metrics *countingMetrics
}

// fixedNow is the fixture's clock (epoch ms).
const fixedNow = 1_800_000_000_000

// countingMetrics records rule failures, recomputed events and refolded histories' lengths.
type countingMetrics struct {
	mu         sync.Mutex
	failures   []string
	recomputed int
	refolds    []int
}

func (m *countingMetrics) EventRecomputed() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recomputed++
}

func (m *countingMetrics) HistoryRefolded(entries int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refolds = append(m.refolds, entries)
}

func (m *countingMetrics) RuleFailed(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures = append(m.failures, reason)
}

func newFixture(t testing.TB, b storetest.Backend) *fixture {
	t.Helper()
	return newFixtureOn(t, b.Open(t))
}

// newFixtureOn is newFixture on a given store (a wrapper of a backend's, say).
func newFixtureOn(t testing.TB, store vigil.Store) *fixture {
	t.Helper()
	return newFixtureWith(t, store, vigil.Options{})
}

// newFixtureWith is newFixtureOn with options; the fixture sets the ids, the metrics and, unless
// opts has one, the clock.
func newFixtureWith(t testing.TB, store vigil.Store, opts vigil.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	var n atomic.Int64
	metrics := &countingMetrics{}
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.UnixMilli(fixedNow) }
	}
	opts.NewID = func() string { return fmt.Sprintf("id-%d", n.Add(1)) }
	opts.Metrics = metrics
	svc, err := vigil.NewService(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := svc.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, store: store, tenant: tenant, metrics: metrics}
}

func obj(t testing.TB, s string) schema.Object {
	t.Helper()
	o, err := schema.DecodeObject([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return o
}

// createAs creates a user of the given kind and fails the test on error.
func (f *fixture) createAs(t testing.TB, kind vigil.Kind, body string, flags vigil.Flags) schema.Object {
	t.Helper()
	reply, err := f.svc.CreateUser(context.Background(), f.tenant, kind, obj(t, body), flags)
	if err != nil {
		t.Fatalf("create %s: %v", body, err)
	}
	return obj(t, string(reply))
}

func (f *fixture) eventAs(t *testing.T, kind vigil.Kind, body string, flags vigil.Flags) (vigil.EventReply, error) {
	t.Helper()
	return f.svc.ApplyEvent(context.Background(), f.tenant, kind, obj(t, body), flags)
}

func (f *fixture) profileAs(t *testing.T, kind vigil.Kind, userID string) schema.Object {
	t.Helper()
	reply, err := f.svc.User(context.Background(), f.tenant, kind, userID)
	if err != nil {
		t.Fatalf("get %s %s: %v", kind, userID, err)
	}
	return obj(t, string(reply))
}

// The consumer shorthands most tests use.
func (f *fixture) create(t *testing.T, body string, flags vigil.Flags) schema.Object {
	t.Helper()
	return f.createAs(t, vigil.Consumer, body, flags)
}

func (f *fixture) event(t *testing.T, body string, flags vigil.Flags) (vigil.EventReply, error) {
	t.Helper()
	return f.eventAs(t, vigil.Consumer, body, flags)
}

func (f *fixture) profile(t *testing.T, userID string) schema.Object {
	t.Helper()
	return f.profileAs(t, vigil.Consumer, userID)
}

// kinds lists both user types, for tests that must hold for each.
var kinds = []vigil.Kind{vigil.Consumer, vigil.Business}

// attributes is the event field that carries a patch for kind.
func attributes(kind vigil.Kind) string {
	if kind == vigil.Business {
		return "updatedBusinessUserAttributes"
	}
	return "updatedConsumerUserAttributes"
}

// minimalUser is the smallest valid create body of kind, in state CREATED.
func minimalUser(kind vigil.Kind, userID string) string {
	if kind == vigil.Business {
		return fmt.Sprintf(`{"userId":%q,"createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"},"legalEntity":{"companyGeneralDetails":{"legalName":"Acme GmbH"}}}`, userID)
	}
	return fmt.Sprintf(`{"userId":%q,"createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"}}`, userID)
}

// eventFor is an event of kind for userID with the given patch (JSON, or "" for none).
func eventFor(kind vigil.Kind, eventID, userID string, ts int64, patch string) string {
	body := fmt.Sprintf(`{"eventId":%q,"userId":%q,"timestamp":%d`, eventID, userID, ts)
	if eventID == "" {
		body = fmt.Sprintf(`{"userId":%q,"timestamp":%d`, userID, ts)
	}
	if patch != "" {
		body += fmt.Sprintf(`,%q:%s`, attributes(kind), patch)
	}
	return body + "}"
}

func state(p schema.Object) any {
	d, _ := p["userStateDetails"].(schema.Object)
	return d["state"]
}

func codeOf(err error) vigil.Code {
	var ve *vigil.Error
	if errors.As(err, &ve) {
		return ve.Code
	}
	return 0
}

const baseUser = `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"}}`

func stateEvent(id string, ts int64, st string) string {
	return fmt.Sprintf(`{"eventId":%q,"userId":"u1","timestamp":%d,"updatedConsumerUserAttributes":{"userStateDetails":{"state":%q}}}`, id, ts, st)
}

func TestFoldOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		type ev struct {
			ts    int64
			state string
		}
		tests := []struct {
			name   string
			events []ev
			want   string
		}{
			{"in order", []ev{{1700000001000, "ACTIVE"}, {1700000002000, "BLOCKED"}}, "BLOCKED"},
			{"late event does not override a later one", []ev{{1700000002000, "BLOCKED"}, {1700000001000, "ACTIVE"}}, "BLOCKED"},
			{"late event lands between", []ev{{1700000001000, "ACTIVE"}, {1700000003000, "SUSPENDED"}, {1700000002000, "BLOCKED"}}, "SUSPENDED"},
			{"ties go by arrival", []ev{{1700000001000, "ACTIVE"}, {1700000001000, "DORMANT"}}, "DORMANT"},
			{"event before the creation still follows it", []ev{{1600000000000, "ACTIVE"}}, "ACTIVE"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := newFixture(t, b)
				f.create(t, baseUser, vigil.Flags{})
				for i, e := range tt.events {
					if _, err := f.event(t, stateEvent(fmt.Sprint("e", i), e.ts, e.state), vigil.Flags{}); err != nil {
						t.Fatalf("event %d: %v", i, err)
					}
				}
				if got := state(f.profile(t, "u1")); got != tt.want {
					t.Fatalf("state = %v, want %s", got, tt.want)
				}
			})
		}
	})
}

func TestLateEventRefoldMergesFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada","lastName":"L"}}}`, vigil.Flags{})
		mustEvent := func(body string) {
			if _, err := f.event(t, body, vigil.Flags{}); err != nil {
				t.Fatal(err)
			}
		}
		mustEvent(`{"userId":"u1","timestamp":1700000003000,"updatedConsumerUserAttributes":{"userDetails":{"name":{"lastName":"Lovelace"}}}}`)
		// Late: its lastName is overridden by the later event, its middleName survives.
		mustEvent(`{"userId":"u1","timestamp":1700000002000,"updatedConsumerUserAttributes":{"userDetails":{"name":{"lastName":"X","middleName":"K"}}}}`)
		name := f.profile(t, "u1")["userDetails"].(schema.Object)["name"].(schema.Object)
		if name["firstName"] != "Ada" || name["lastName"] != "Lovelace" || name["middleName"] != "K" {
			t.Fatalf("name = %v", name)
		}
	})
}

func TestEventIdempotency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, baseUser, vigil.Flags{})
		first, err := f.event(t, stateEvent("e1", 1700000001000, "ACTIVE"), vigil.Flags{})
		if err != nil {
			t.Fatal(err)
		}
		yes := true
		tests := []struct {
			name     string
			body     string
			flags    vigil.Flags
			wantCode vigil.Code // 0: replay
		}{
			{"identical", stateEvent("e1", 1700000001000, "ACTIVE"), vigil.Flags{}, 0},
			{"same JSON value, other key order and spelling",
				`{"timestamp":1.700000001e12,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"}},"userId":"u1","eventId":"e1"}`, vigil.Flags{}, 0},
			{"different body", stateEvent("e1", 1700000001000, "BLOCKED"), vigil.Flags{}, vigil.CodeConflict},
			{"different flags", stateEvent("e1", 1700000001000, "ACTIVE"), vigil.Flags{LockKYCRiskLevel: &yes}, vigil.CodeConflict},
			{"another user", `{"eventId":"e1","userId":"u2","timestamp":1700000001000}`, vigil.Flags{}, vigil.CodeConflict},
			{"a user that does not exist", `{"eventId":"e1","userId":"ghost","timestamp":1700000001000}`, vigil.Flags{}, vigil.CodeConflict},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				reply, err := f.event(t, tt.body, tt.flags)
				if tt.wantCode != 0 {
					if codeOf(err) != tt.wantCode {
						t.Fatalf("err = %v, want code %d", err, tt.wantCode)
					}
					return
				}
				if err != nil || !reply.Replayed || string(reply.Body) != string(first.Body) || reply.Location != first.Location {
					t.Fatalf("replay = %+v, %v; want the first response %s", reply, err, first.Body)
				}
			})
		}
		if got := state(f.profile(t, "u1")); got != "ACTIVE" {
			t.Fatalf("state after conflicts = %v, want ACTIVE", got)
		}
	})
}

func TestGeneratedEventIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, baseUser, vigil.Flags{})
		body := `{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"tags":[{"key":"k","value":"v"}]}}`
		first, err := f.event(t, body, vigil.Flags{})
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.event(t, body, vigil.Flags{})
		if err != nil {
			t.Fatal(err)
		}
		if first.Location == second.Location || first.Replayed || second.Replayed {
			t.Fatalf("two events without eventId got %q and %q (replayed %v, %v)", first.Location, second.Location, first.Replayed, second.Replayed)
		}
	})
}

func TestCreateExistingUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		no, yes := false, true
		tests := []struct {
			name      string
			flags     vigil.Flags
			wantState string
			wantMsg   bool
		}{
			{"validateUserId absent keeps the user", vigil.Flags{}, "CREATED", true},
			{"validateUserId=true keeps the user", vigil.Flags{ValidateUserID: &yes}, "CREATED", true},
			{"validateUserId=false updates", vigil.Flags{ValidateUserID: &no}, "ACTIVE", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := newFixture(t, b)
				f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"},"occupation":"pilot"}`, vigil.Flags{})
				reply := f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"ACTIVE"}}`, tt.flags)
				if _, has := reply["message"]; has != tt.wantMsg {
					t.Fatalf("reply %v: message present = %v, want %v", reply, has, tt.wantMsg)
				}
				p := f.profile(t, "u1")
				if state(p) != tt.wantState || p["occupation"] != "pilot" {
					t.Fatalf("profile = %v; want state %s and the omitted occupation kept", p, tt.wantState)
				}
			})
		}
	})
}

func TestUpdateSitsAfterExistingEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, baseUser, vigil.Flags{})
		// An event dated after the clock: the update must still come after it.
		if _, err := f.event(t, stateEvent("e1", 1900000000000, "BLOCKED"), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		no := false
		f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"ACTIVE"}}`, vigil.Flags{ValidateUserID: &no})
		// A late event refolds the history; the update keeps its place after e1.
		if _, err := f.event(t, stateEvent("e2", 1700000005000, "SUSPENDED"), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		if got := state(f.profile(t, "u1")); got != "ACTIVE" {
			t.Fatalf("state = %v, want ACTIVE (the update is after every entry that existed)", got)
		}
	})
}

func TestRejectedWritesChangeNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada"}}}`, vigil.Flags{})
		// A later event, so that an earlier one is late and refolds the history.
		if _, err := f.event(t, `{"userId":"u1","timestamp":1700000005000,"updatedConsumerUserAttributes":{"occupation":"pilot"}}`, vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		before := f.profile(t, "u1")
		tests := []struct {
			name, body string
			wantCode   vigil.Code
		}{
			{"bad enum", `{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"FROZEN"}}}`, vigil.CodeInvalid},
			{"merged profile invalid", `{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"userDetails":{"name":{"firstName":null}}}}`, vigil.CodeInvalid},
			{"late event makes the refold invalid", `{"userId":"u1","timestamp":1600000000000,"updatedConsumerUserAttributes":{"userDetails":{"name":{"firstName":null}}}}`, vigil.CodeInvalid},
			{"immutable field", `{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"createdTimestamp":1700000000001}}`, vigil.CodeInvalid},
			{"timestamp out of range", `{"userId":"u1","timestamp":1.1}`, vigil.CodeInvalid},
			{"unknown user", `{"userId":"nobody","timestamp":1700000001000}`, vigil.CodeNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.event(t, tt.body, vigil.Flags{})
				if codeOf(err) != tt.wantCode {
					t.Fatalf("err = %v, want code %d", err, tt.wantCode)
				}
				if after := f.profile(t, "u1"); schema.Fingerprint(after) != schema.Fingerprint(before) {
					t.Fatalf("profile changed: %v", after)
				}
			})
		}
	})
}

func TestValidationReportsEveryProblemWithItsPath(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		_, err := f.svc.CreateUser(context.Background(), f.tenant, vigil.Consumer, obj(t,
			`{"createdTimestamp":"x","userStateDetails":{"state":"FROZEN"},"savedPaymentDetails":[{"method":"CARD"},{"method":"NOPE"}],"userDetails":{"countryOfResidence":"ZZ"}}`), vigil.Flags{})
		var ve *vigil.Error
		if !errors.As(err, &ve) || ve.Code != vigil.CodeInvalid {
			t.Fatalf("err = %v, want a validation error", err)
		}
		wantPaths := []string{"createdTimestamp:", "savedPaymentDetails[1].method:", "userDetails.countryOfResidence:", "userId: is required", "userStateDetails.state:"}
		if len(ve.Problems) != len(wantPaths) {
			t.Fatalf("problems = %q, want %d", ve.Problems, len(wantPaths))
		}
		for i, p := range wantPaths {
			if len(ve.Problems[i]) < len(p) || ve.Problems[i][:len(p)] != p {
				t.Errorf("problem %d = %q, want prefix %q", i, ve.Problems[i], p)
			}
		}
		if ve.Message != ve.Problems[0] {
			t.Errorf("message = %q, want the first problem", ve.Message)
		}
	})
}

func TestConcurrentEventsForOneUserAreAllApplied(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, baseUser, vigil.Flags{})
		const n = 64
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"userId":"u1","timestamp":%d,"updatedConsumerUserAttributes":{"tags":[{"key":"k%d","value":"v"}]}}`, 1700000000000+int64(n-i), i)
				_, err := f.event(t, body, vigil.Flags{})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if tags := f.profile(t, "u1")["tags"].([]any); len(tags) != n {
			t.Fatalf("%d tags after %d concurrent events, want every one", len(tags), n)
		}
	})
}

func TestTenantsAreIsolated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, baseUser, vigil.Flags{})
		key, err := f.svc.CreateKey(context.Background(), "other")
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.svc.Authenticate(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.User(context.Background(), other, vigil.Consumer, "u1"); codeOf(err) != vigil.CodeNotFound {
			t.Fatalf("other tenant reads u1: %v, want not found", err)
		}
		// The same ids are independent in the other tenant.
		if _, err := f.svc.CreateUser(context.Background(), other, vigil.Consumer, obj(t, baseUser), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ApplyEvent(context.Background(), other, vigil.Consumer, obj(t, stateEvent("e1", 1700000001000, "BLOCKED")), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.event(t, stateEvent("e1", 1700000001000, "ACTIVE"), vigil.Flags{}); err != nil {
			t.Fatalf("same eventId in the first tenant: %v", err)
		}
		if got := state(f.profile(t, "u1")); got != "ACTIVE" {
			t.Fatalf("first tenant's state = %v", got)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		for _, key := range []string{"", "vgl_nope"} {
			if _, err := f.svc.Authenticate(context.Background(), key); codeOf(err) != vigil.CodeUnauthorized {
				t.Errorf("Authenticate(%q) = %v, want unauthorized", key, err)
			}
		}
	})
}

func TestRacingCreatesMakeOneUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		const n = 32
		var wg sync.WaitGroup
		replies := make(chan schema.Object, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reply, err := f.svc.CreateUser(context.Background(), f.tenant, vigil.Consumer, obj(t, baseUser), vigil.Flags{})
				if err != nil {
					t.Error(err)
					return
				}
				replies <- obj(t, string(reply))
			}()
		}
		wg.Wait()
		close(replies)
		created := 0
		for r := range replies {
			if _, exists := r["message"]; !exists {
				created++
			}
		}
		if created != 1 {
			t.Fatalf("%d of %d racing creates created the user, want exactly 1", created, n)
		}
	})
}

func (m *countingMetrics) recomputedCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.recomputed
}
