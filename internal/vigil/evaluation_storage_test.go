package vigil_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestUserEvaluationIsTheLatestWrites: a user's row does not store its evaluation; GET answers the
// evaluation of the user's latest write (from that write's stored response), whatever the row's
// evaluation column holds.
func TestUserEvaluationIsTheLatestWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, cleanConsumer, vigil.Flags{})
		reply := f.eventReply(t, vigil.Consumer, `{"userId":"clean","timestamp":1700000001000,"updatedConsumerUserAttributes":{"sanctionsStatus":true}}`, vigil.Flags{})
		got := f.profile(t, "clean")
		for _, field := range []string{"executedRules", "hitRules", "riskScoreDetails", "status"} {
			if !reflect.DeepEqual(got[field], reply[field]) {
				t.Errorf("GET %s = %v, want the latest event's %v", field, got[field], reply[field])
			}
		}
		if got["status"] != "BLOCK" {
			t.Errorf("status %v, want BLOCK (sanctioned)", got["status"])
		}

		// Something in the row's evaluation column (no version reads it) changes nothing.
		ctx := context.Background()
		if err := f.store.Update(ctx, func(tx vigil.Tx) error {
			rec, err := tx.LockUser(ctx, f.tenant.ID, "clean")
			if err != nil {
				return err
			}
			rec.Evaluation = []byte(`{"executedRules":[],"hitRules":[],"status":"FLAG"}`)
			return tx.UpdateUser(ctx, rec)
		}); err != nil {
			t.Fatal(err)
		}
		if got := f.profile(t, "clean"); got["status"] != "BLOCK" {
			t.Errorf("GET with a stray evaluation column: status %v, want the latest write's BLOCK", got["status"])
		}
	})
}
