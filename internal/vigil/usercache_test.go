package vigil_test

import (
	"context"
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
