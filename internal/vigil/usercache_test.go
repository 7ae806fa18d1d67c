package vigil_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestEventAfterAChangeTheCacheMissed changes a user by paths that do not go through the
// service's user cache (an update by re-POST, another server process on the same database, a
// rename), then sends an event: it must build on the user as stored, never on the cached state.
func TestEventAfterAChangeTheCacheMissed(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, f *fixture)
		// userID receives the next event; wantErr is its expected error code (0 for none).
		userID  string
		wantErr vigil.Code
		check   func(t *testing.T, reply map[string]any)
	}{
		{
			name: "update by re-POST",
			change: func(t *testing.T, f *fixture) {
				no := false
				f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"countryOfResidence":"FR"}}`, vigil.Flags{ValidateUserID: &no})
			},
			userID: "u1",
			check: func(t *testing.T, reply map[string]any) {
				if got := reply["userDetails"].(map[string]any)["countryOfResidence"]; got != "FR" {
					t.Errorf("countryOfResidence = %v, want FR (the update)", got)
				}
			},
		},
		{
			name: "another process",
			change: func(t *testing.T, f *fixture) {
				other, err := vigil.NewService(f.store, vigil.Options{})
				if err != nil {
					t.Fatal(err)
				}
				body := obj(t, `{"userId":"u1","timestamp":1700000002000,"updatedConsumerUserAttributes":{"userDetails":{"countryOfResidence":"IT"}}}`)
				if _, err := other.ApplyEvent(context.Background(), f.tenant, vigil.Consumer, body, vigil.Flags{}); err != nil {
					t.Fatal(err)
				}
			},
			userID: "u1",
			check: func(t *testing.T, reply map[string]any) {
				if got := reply["userDetails"].(map[string]any)["countryOfResidence"]; got != "IT" {
					t.Errorf("countryOfResidence = %v, want IT (the other process's event)", got)
				}
			},
		},
		{
			name: "renamed",
			change: func(t *testing.T, f *fixture) {
				body := `{"userId":"u1","timestamp":1700000002000,"newUserId":"u2","updatedConsumerUserAttributes":{}}`
				if _, err := f.event(t, body, vigil.Flags{ChangeUserID: true}); err != nil {
					t.Fatal(err)
				}
			},
			userID:  "u1",
			wantErr: vigil.CodeNotFound,
		},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, b)
				f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"countryOfResidence":"DE"}}`, vigil.Flags{})
				// This event leaves u1 in the cache.
				if _, err := f.event(t, `{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"tags":[{"key":"a","value":"1"}]}}`, vigil.Flags{}); err != nil {
					t.Fatal(err)
				}
				tc.change(t, f)
				reply, err := f.event(t, `{"userId":"`+tc.userID+`","timestamp":1700000003000,"updatedConsumerUserAttributes":{"tags":[{"key":"b","value":"2"}]}}`, vigil.Flags{})
				if tc.wantErr != 0 {
					if codeOf(err) != tc.wantErr {
						t.Fatalf("event: %v, want code %d", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				got := obj(t, string(reply.Body))
				if tags := got["tags"].([]any); len(tags) != 2 {
					t.Errorf("tags = %v, want both events' tags", tags)
				}
				tc.check(t, got)
				if stored := f.profile(t, tc.userID); stored["userDetails"].(map[string]any)["countryOfResidence"] != got["userDetails"].(map[string]any)["countryOfResidence"] {
					t.Errorf("stored profile %v differs from the event's reply %v", stored, got)
				}
			})
		}
	})
}

// countingStore counts the units of work sent to a store and the histories read outside them.
type countingStore struct {
	vigil.Store
	updates, historyReads atomic.Int64
}

func (c *countingStore) UserEntries(ctx context.Context, tenantID, userUID string) ([]vigil.Entry, error) {
	c.historyReads.Add(1)
	return c.Store.UserEntries(ctx, tenantID, userUID)
}

func (c *countingStore) Update(ctx context.Context, fn func(vigil.Tx) error) error {
	c.updates.Add(1)
	return c.Store.Update(ctx, fn)
}

// TestStaleOutcomeIsComputedAgainOutsideTheWriter: an event computed ahead on a user another
// process has changed since is not computed again in the store's writer; its unit writes nothing
// and hands the user's row back, the service computes the outcome again and sends a second unit.
func TestStaleOutcomeIsComputedAgainOutsideTheWriter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		store := &countingStore{Store: b.Open(t)}
		f := newFixtureOn(t, store)
		f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"kycStatusDetails":{"status":"NEW"}}`, vigil.Flags{})
		// This event leaves u1 in the service's cache.
		if _, err := f.event(t, `{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"tags":[{"key":"a","value":"1"}]}}`, vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		other, err := vigil.NewService(store, vigil.Options{})
		if err != nil {
			t.Fatal(err)
		}
		body := obj(t, `{"userId":"u1","timestamp":1700000002000,"updatedConsumerUserAttributes":{"kycStatusDetails":{"status":"SUCCESSFUL"}}}`)
		if _, err := other.ApplyEvent(context.Background(), f.tenant, vigil.Consumer, body, vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		before := store.updates.Load()
		reply, err := f.event(t, `{"userId":"u1","timestamp":1700000003000,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"}}}`, vigil.Flags{})
		if err != nil {
			t.Fatal(err)
		}
		if units := store.updates.Load() - before; units != 2 {
			t.Errorf("%d units for the event, want 2 (the stale one handed back, then the write)", units)
		}
		if f.metrics.recomputed != 1 {
			t.Errorf("%d events counted as recomputed, want 1", f.metrics.recomputed)
		}
		var got map[string]any
		if err := json.Unmarshal(reply.Body, &got); err != nil {
			t.Fatal(err)
		}
		if kyc := got["kycStatusDetails"].(map[string]any)["status"]; kyc != "SUCCESSFUL" {
			t.Errorf("kycStatusDetails.status = %v, want SUCCESSFUL (the other process's event)", kyc)
		}
		if state := got["userStateDetails"].(map[string]any)["state"]; state != "ACTIVE" {
			t.Errorf("userStateDetails.state = %v, want ACTIVE", state)
		}
		if p := f.profile(t, "u1"); p["kycStatusDetails"].(map[string]any)["status"] != "SUCCESSFUL" {
			t.Errorf("stored profile %v lost the other process's event", p)
		}
	})
}

// TestLateEventIsFoldedBeforeItsWrite: a late event is folded before its unit, outside the
// store's writer, and the unit only stores the result. An event late behind the user's last few
// writes folds them alone from the state before them (the cached fold window); one late behind
// older writes applies what it changes through the user's fold index, or, without the index,
// reads the history and refolds it all. The outcome is the same.
func TestLateEventIsFoldedBeforeItsWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		tests := []struct {
			name     string
			inOrder  int // events before the late one, 1 s apart from 1700000003000
			lateTs   int64
			reads    int64
			wantKYC  string
			wantLast string // the state the last in-order event set
			refolds  []int  // the lengths of the histories refolded, as counted in metrics
			refold   bool   // Options.LateEventsRefold
		}{
			{"behind the last writes", 1, 1700000002000, 0, "SUCCESSFUL", "ACTIVE", nil, false},
			{"behind older writes", 12, 1700000002000, 0, "SUCCESSFUL", "DORMANT", nil, false},
			{"behind older writes without the fold index", 12, 1700000002000, 1, "SUCCESSFUL", "DORMANT", []int{13}, true},
			{"between the last writes", 12, 1700000013500, 0, "SUCCESSFUL", "DORMANT", nil, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				store := &countingStore{Store: b.Open(t)}
				f := newFixtureWith(t, store, vigil.Options{LateEventsRefold: tt.refold})
				f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"}}`, vigil.Flags{})
				for i := range tt.inOrder {
					state := "ACTIVE"
					if i == tt.inOrder-1 && i > 0 {
						state = "DORMANT"
					}
					body := fmt.Sprintf(`{"userId":"u1","timestamp":%d,"updatedConsumerUserAttributes":{"userStateDetails":{"state":%q},"tags":[{"key":"k%d","value":"v"}]}}`,
						1700000003000+int64(i)*1000, state, i)
					if _, err := f.event(t, body, vigil.Flags{}); err != nil {
						t.Fatal(err)
					}
				}
				updates, reads := store.updates.Load(), store.historyReads.Load()
				late := fmt.Sprintf(`{"userId":"u1","timestamp":%d,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"SUSPENDED"},"kycStatusDetails":{"status":"SUCCESSFUL"}}}`, tt.lateTs)
				if _, err := f.event(t, late, vigil.Flags{}); err != nil {
					t.Fatal(err)
				}
				if u, r := store.updates.Load()-updates, store.historyReads.Load()-reads; u != 1 || r != tt.reads {
					t.Errorf("late event: %d units and %d history reads outside them, want 1 and %d", u, r, tt.reads)
				}
				if !slices.Equal(f.metrics.refolds, tt.refolds) {
					t.Errorf("refolds counted %v, want %v", f.metrics.refolds, tt.refolds)
				}
				p := f.profile(t, "u1")
				if state := p["userStateDetails"].(map[string]any)["state"]; state != tt.wantLast {
					t.Errorf("state = %v, want %s (the later event wins)", state, tt.wantLast)
				}
				if kyc := p["kycStatusDetails"].(map[string]any)["status"]; kyc != tt.wantKYC {
					t.Errorf("kycStatusDetails.status = %v, want %s (the late event's own change)", kyc, tt.wantKYC)
				}
				if tags := p["tags"].([]any); len(tags) != tt.inOrder {
					t.Errorf("%d tags, want %d (one per in-order event)", len(tags), tt.inOrder)
				}
			})
		}
	})
}
