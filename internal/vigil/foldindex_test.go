package vigil_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestFoldIndexMatchesFullRefold sends the same random writes to three services on stores of
// their own: one that answers late events through the fold index with users cached (so the fold
// window takes the slightly late ones), one through the index alone, and the reference, which
// reads and refolds the whole history for every late event. The writes are events late by any
// amount (to before the first one too), patches that set, remove and replace fields and nested
// objects (unknown fields, so a later write can put an object where an earlier one put a value),
// tag merges, updates by re-POST, a rule whose actions a late event can trigger, retention
// pruning and an erasure. Every answer must be the same byte for byte: each write's reply or
// error, and after it GET user, and regularly the timeline, the profile as of random times and
// the stored answers of earlier events. The indexed services must have refolded far fewer
// histories than the reference.
func TestFoldIndexMatchesFullRefold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		const day = int64(24 * time.Hour / time.Millisecond)
		var clock atomic.Int64
		clock.Store(fixedNow)
		now := func() time.Time { return time.UnixMilli(clock.Load()) }
		opts := func(o vigil.Options) vigil.Options {
			o.Now, o.RetainHistory = now, 100*24*time.Hour
			return o
		}
		cached := newFixtureWith(t, b.Open(t), opts(vigil.Options{}))
		indexed := newFixtureWith(t, b.Open(t), opts(vigil.Options{UserCacheBytes: -1}))
		reference := newFixtureWith(t, b.Open(t), opts(vigil.Options{UserCacheBytes: -1, LateEventsRefold: true}))
		all := []*fixture{cached, indexed, reference}
		for _, f := range all {
			f.putRule(t, "RC-1.1", "ruleId: RC-1\nruleName: Levels\nruleDescription: d\nruleAction: FLAG\nexpression: user.riskLevel == 'HIGH' || user.kycRiskLevel == 'LOW'\n")
			f.putRule(t, "RC-2.1", `ruleId: RC-2
ruleName: Review
ruleDescription: Actions a late event can trigger.
ruleAction: SUSPEND
expression: user.occupation == 'trigger'
triggersOnHit:
  userStateDetails: {state: SUSPENDED, reason: review}
  tags: [{key: review, value: "1"}]
`)
		}
		ctx := context.Background()
		check := func(what string, got [][]byte, errs []error) {
			t.Helper()
			for i := 1; i < len(all); i++ {
				if (errs[0] == nil) != (errs[i] == nil) || (errs[0] != nil && errs[0].Error() != errs[i].Error()) {
					t.Fatalf("%s: errors differ: %v and %v (service %d)", what, errs[0], errs[i], i)
				}
				if !bytes.Equal(got[0], got[i]) {
					t.Fatalf("%s: answers differ (service %d):\nindexed:   %s\nreference: %s", what, i, got[i], got[0])
				}
			}
		}
		// each asks every service the same and checks the answers; the reference answers first.
		each := func(what string, ask func(f *fixture) ([]byte, error)) {
			t.Helper()
			order := []*fixture{reference, cached, indexed}
			got, errs := make([][]byte, len(order)), make([]error, len(order))
			for i, f := range order {
				got[i], errs[i] = ask(f)
			}
			check(what, got, errs)
		}
		states := []string{"ACTIVE", "SUSPENDED", "DORMANT", "BLOCKED"}
		kyc := []string{"NEW", "IN_PROGRESS", "SUCCESSFUL", "FAILED", "MANUAL_REVIEW"}
		patches := []func(rng *rand.Rand, i int) string{
			func(rng *rand.Rand, i int) string {
				return fmt.Sprintf(`"userStateDetails":{"state":%q,"reason":"r%d"}`, states[rng.IntN(len(states))], i)
			},
			func(rng *rand.Rand, i int) string {
				return fmt.Sprintf(`"userStateDetails":{"state":%q}`, states[rng.IntN(len(states))])
			},
			func(rng *rand.Rand, i int) string {
				return fmt.Sprintf(`"kycStatusDetails":{"status":%q}`, kyc[rng.IntN(len(kyc))])
			},
			func(rng *rand.Rand, i int) string {
				return fmt.Sprintf(`"tags":[{"key":"k%d","value":"%d"}]`, rng.IntN(4), i)
			},
			func(rng *rand.Rand, i int) string {
				return fmt.Sprintf(`"tags":[{"key":"k%d","value":"%d"},{"key":"k%d","value":"x"},{"key":"k%d","value":"y"}]`, rng.IntN(4), i, rng.IntN(4), rng.IntN(4))
			},
			func(rng *rand.Rand, i int) string { return `"tags":null` },
			func(rng *rand.Rand, i int) string { return `"tags":[]` },
			func(rng *rand.Rand, i int) string {
				return fmt.Sprintf(`"userDetails":{"name":{"middleName":"M%d"},"countryOfNationality":%q}`, i, []string{"DE", "FR", "IR"}[rng.IntN(3)])
			},
			func(rng *rand.Rand, i int) string {
				return `"userDetails":{"name":{"middleName":null}},"occupation":null`
			},
			func(rng *rand.Rand, i int) string {
				return fmt.Sprintf(`"occupation":"o%d","riskLevel":%q`, i, []string{"LOW", "HIGH"}[rng.IntN(2)])
			},
			func(rng *rand.Rand, i int) string { return `"occupation":"trigger"` },
			// Unknown fields are kept: objects, values, removals and empty objects at the same paths.
			func(rng *rand.Rand, i int) string { return fmt.Sprintf(`"extra":{"a":{"b":%d,"c":"x"}}`, i) },
			func(rng *rand.Rand, i int) string { return fmt.Sprintf(`"extra":{"a":"v%d"}`, i) },
			func(rng *rand.Rand, i int) string { return `"extra":{"a":null,"d":[1,2]}` },
			func(rng *rand.Rand, i int) string { return `"extra":null` },
			func(rng *rand.Rand, i int) string { return `"extra":{}` },
			func(rng *rand.Rand, i int) string { return fmt.Sprintf(`"extra":{"a":{"b":{"c":%d}}}`, i) },
			func(rng *rand.Rand, i int) string { return fmt.Sprintf(`"extra":{"a":{"e":%d}}`, i) },
			func(rng *rand.Rand, i int) string { return fmt.Sprintf(`"extra":{"a":{}},"more":{"x":%d}`, i) },
			func(rng *rand.Rand, i int) string { return `` },
		}
		start := int64(fixedNow) - 99*day
		var eventIDs []string
		for seed := range uint64(4) {
			rng := rand.New(rand.NewPCG(seed, 24))
			user := fmt.Sprintf("u%d", seed)
			create := fmt.Sprintf(`{"userId":%q,"createdTimestamp":%d,"userDetails":{"name":{"firstName":"Ada","lastName":"L"},"countryOfResidence":"DE"},"userStateDetails":{"state":"CREATED"},"tags":[{"key":"a","value":"0"},{"key":"k1","value":"c"}],"extra":{"a":{"b":0}}}`, user, start)
			each("create "+user, func(f *fixture) ([]byte, error) {
				return f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, create), vigil.Flags{})
			})
			ts := start + 1000
			for i := range 90 {
				ts += int64(rng.IntN(3 * 3600_000))
				what := fmt.Sprintf("seed %d write %d", seed, i)
				switch r := rng.IntN(20); {
				case r == 0: // an update by re-POST: replaces the fields it sends, after every entry
					body := fmt.Sprintf(`{"userId":%q,"createdTimestamp":%d,"occupation":"u%d","extra":{"z":%d},"tags":[{"key":"k%d","value":"up"}]}`, user, start, i, i, rng.IntN(4))
					no := false
					each(what+" update", func(f *fixture) ([]byte, error) {
						return f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, body), vigil.Flags{ValidateUserID: &no})
					})
				case r == 1 && i > 20: // retention: the clock moves on and the oldest history is folded away
					clock.Add(2 * day)
					cutoff := clock.Load() - 100*day
					each(what+" prune", func(f *fixture) ([]byte, error) {
						n, err := f.svc.PruneHistory(ctx, cutoff, 100)
						return fmt.Append(nil, n), err
					})
				default:
					at := ts
					switch rng.IntN(6) {
					case 0, 1: // late by a little
						at -= int64(rng.IntN(4 * 3600_000))
					case 2: // late by any amount, to before the first event (and, pruned, before what is kept)
						at = start + int64(rng.Int64N(ts-start+1))
					}
					eventID := fmt.Sprintf("%s-e%d", user, i)
					body := fmt.Sprintf(`{"userId":%q,"eventId":%q,"timestamp":%d,"updatedConsumerUserAttributes":{%s}}`, user, eventID, at,
						patches[rng.IntN(len(patches))](rng, i))
					each(what+" "+body, func(f *fixture) ([]byte, error) {
						reply, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, body), vigil.Flags{})
						return reply.Body, err
					})
					eventIDs = append(eventIDs, eventID)
				}
				each(what+": GET user", func(f *fixture) ([]byte, error) { return f.svc.User(ctx, f.tenant, vigil.Consumer, user) })
				if i%15 == 14 {
					each(what+": timeline", func(f *fixture) ([]byte, error) { return f.svc.Timeline(ctx, f.tenant, vigil.Consumer, user) })
					asOf := start + int64(rng.Int64N(ts-start+2*3600_000))
					each(fmt.Sprintf("%s: as of %d", what, asOf), func(f *fixture) ([]byte, error) {
						return f.svc.UserAsOf(ctx, f.tenant, vigil.Consumer, user, asOf)
					})
					id := eventIDs[rng.IntN(len(eventIDs))]
					each(what+": GET event "+id, func(f *fixture) ([]byte, error) { return f.svc.Event(ctx, f.tenant, vigil.Consumer, id) })
				}
			}
			if seed == 1 { // erased: every answer about it is the erasure's, and its index goes with its row
				each("erase "+user, func(f *fixture) ([]byte, error) { return f.svc.EraseUser(ctx, f.tenant, vigil.Consumer, user) })
				each("GET erased user", func(f *fixture) ([]byte, error) { return f.svc.User(ctx, f.tenant, vigil.Consumer, user) })
				late := fmt.Sprintf(`{"userId":%q,"timestamp":%d,"updatedConsumerUserAttributes":{"occupation":"x"}}`, user, start+5000)
				each("late event of an erased user", func(f *fixture) ([]byte, error) {
					reply, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, late), vigil.Flags{})
					return reply.Body, err
				})
			}
		}
		r, x := len(reference.metrics.refolds), len(indexed.metrics.refolds)
		t.Logf("full refolds: reference %d, indexed %d, indexed and cached %d", r, x, len(cached.metrics.refolds))
		if r < 50 || x*3 > r {
			t.Errorf("%d full refolds through the index, %d without: want a third or fewer", x, r)
		}
	})
}

// TestFoldIndexFallsBackToARefold: what the index cannot decide is refolded from the history,
// with the same answers as the reference, and the refold stores an index again: a late event
// whose rules' actions were applied after the whole history (the next late event refolds), a
// late removal of a field written into later, a user whose index retention cleared, and a user
// stored without one (written before the index existed).
func TestFoldIndexFallsBackToARefold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		ev := func(id string, ts int64, patch string) string {
			return fmt.Sprintf(`{"userId":"u1","eventId":%q,"timestamp":%d,"updatedConsumerUserAttributes":{%s}}`, id, ts, patch)
		}
		const base = int64(fixedNow) - 1000_000
		tests := []struct {
			name   string
			prep   func(t *testing.T, f *fixture)
			events []string
			// refolds is how many of the events refold the history through the index.
			refolds int
		}{
			{"rules' actions of a late event", nil, []string{
				ev("e1", base+1000, `"userStateDetails":{"state":"ACTIVE"}`),
				ev("e2", base+2000, `"kycStatusDetails":{"status":"NEW"}`),
				ev("e3", base+500, `"occupation":"trigger"`), // hits RC-2: actions after everything
				ev("e4", base+600, `"occupation":"baker"`),   // the stored profile is not the fold: refold
				ev("e5", base+700, `"extra":{"q":1}`),        // clean again: through the index
			}, 1},
			{"a removal written into later", nil, []string{
				ev("e1", base+1000, `"extra":{"a":{"b":1}}`),
				ev("e2", base+2000, `"kycStatusDetails":{"status":"NEW"}`),
				ev("e3", base+500, `"extra":null`),          // extra.a.b was written after it: refold
				ev("e4", base+600, `"extra":{"a":{"c":2}}`), // through the index
			}, 1},
			{"retention cleared the index", func(t *testing.T, f *fixture) {
				if _, err := f.svc.PruneHistory(ctx, base+1500, 10); err != nil {
					t.Fatal(err)
				}
			}, []string{
				ev("e3", base+2500, `"occupation":"a"`), // no index: refold, and store one
				ev("e4", base+2600, `"occupation":"b"`), // through it
			}, 1},
			{"a user stored without an index", func(t *testing.T, f *fixture) {
				err := f.store.Update(ctx, func(tx vigil.Tx) error {
					rec, err := tx.LockUser(ctx, f.tenant.ID, "u1")
					if err != nil {
						return err
					}
					rec.FoldIndex, rec.Evaluation = nil, []byte{}
					return tx.UpdateUser(ctx, rec)
				})
				if err != nil {
					t.Fatal(err)
				}
			}, []string{
				ev("e3", base+2500, `"occupation":"a"`),
				ev("e4", base+2600, `"occupation":"b"`),
			}, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				indexed := newFixtureWith(t, b.Open(t), vigil.Options{UserCacheBytes: -1})
				reference := newFixtureWith(t, b.Open(t), vigil.Options{UserCacheBytes: -1, LateEventsRefold: true})
				for _, f := range []*fixture{indexed, reference} {
					f.putRule(t, "RC-2.1", "ruleId: RC-2\nruleName: Review\nruleDescription: d\nruleAction: SUSPEND\nexpression: user.occupation == 'trigger'\n"+
						"triggersOnHit:\n  userStateDetails: {state: SUSPENDED, reason: review}\n")
					f.create(t, fmt.Sprintf(`{"userId":"u1","createdTimestamp":%d,"userStateDetails":{"state":"CREATED"}}`, base), vigil.Flags{})
					if tt.prep != nil {
						f.event(t, ev("p1", base+1000, `"occupation":"x"`), vigil.Flags{})
						f.event(t, ev("p2", base+2000, `"occupation":"y"`), vigil.Flags{})
						f.event(t, ev("p3", base+3000, `"tags":[{"key":"t","value":"1"}]`), vigil.Flags{})
						tt.prep(t, f)
					}
				}
				before := len(indexed.metrics.refolds)
				for _, body := range tt.events {
					a, errA := indexed.event(t, body, vigil.Flags{})
					r, errR := reference.event(t, body, vigil.Flags{})
					if errA != nil || errR != nil || !bytes.Equal(a.Body, r.Body) {
						t.Fatalf("%s: answers differ:\nindexed:   %s %v\nreference: %s %v", body, a.Body, errA, r.Body, errR)
					}
				}
				if got := len(indexed.metrics.refolds) - before; got != tt.refolds {
					t.Errorf("%d refolds through the index, want %d", got, tt.refolds)
				}
				for _, f := range []*fixture{indexed, reference} {
					rec, err := f.store.User(ctx, f.tenant.ID, "u1")
					if err != nil || len(rec.FoldIndex) == 0 {
						t.Errorf("after the events: index %x, %v; want one stored", rec.FoldIndex, err)
					}
				}
			})
		}
	})
}
