package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// testClaimBounds checks the bounds the dispatcher isolates endpoints with: at most PerEndpoint
// deliveries of one endpoint per claim, none of a skipped endpoint, oldest due first.
func testClaimBounds(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	at := func(d vigil.Delivery, endpoint string, due int64) vigil.Delivery {
		d.EndpointID, d.NextAttemptAt = endpoint, due
		return d
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		for _, d := range []vigil.Delivery{
			at(delivery("slow1", "userA", 1), "slow", 10), at(delivery("slow2", "userB", 1), "slow", 11),
			at(delivery("slow3", "userC", 1), "slow", 12), at(delivery("slow4", "userD", 1), "slow", 13),
			at(delivery("fast1", "userA", 1), "fast", 50), at(delivery("fast2", "userA", 2), "fast", 51),
			at(delivery("fast3", "userB", 1), "fast", 52),
		} {
			if err := tx.InsertDelivery(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	for _, step := range []struct {
		claim vigil.DeliveryClaim
		want  string
	}{
		// Two per endpoint, though slow has older deliveries; fast2 waits behind fast1 (same user).
		{vigil.DeliveryClaim{Now: 100, LeaseUntil: 200, Limit: 10, PerEndpoint: 2}, "[slow1 slow2 fast1 fast3]"},
		// Slow is skipped: nothing else of fast is due (fast2 is held back).
		{vigil.DeliveryClaim{Now: 100, LeaseUntil: 200, Limit: 10, PerEndpoint: 2, SkipEndpoints: []string{"slow"}}, "[]"},
		{vigil.DeliveryClaim{Now: 100, LeaseUntil: 200, Limit: 1, PerEndpoint: 2}, "[slow3]"},
		{vigil.DeliveryClaim{Now: 100, LeaseUntil: 200, Limit: 10}, "[slow4]"},
	} {
		got, err := s.ClaimDeliveries(ctx, step.claim)
		if err != nil || ids(got) != step.want {
			t.Fatalf("claim %+v = %s, %v; want %s", step.claim, ids(got), err, step.want)
		}
	}
}

// testCountEndpoints checks that transactions that count a tenant's endpoints and then add one
// hold a bound when they race.
func testCountEndpoints(t *testing.T, s vigil.Store) {
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.CreateTenant(ctx, vigil.Tenant{ID: "t1", Name: "one", CreatedAt: 1}); err != nil {
			return err
		}
		return tx.PutWebhookEndpoint(ctx, vigil.WebhookEndpoint{TenantID: "t2", ID: "other", URL: "http://x", Origin: "ALL"})
	})
	const bound, racers = 3, 8
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
				n, err := tx.CountWebhookEndpoints(ctx, "t1")
				if err != nil || n >= bound {
					return err
				}
				return tx.PutWebhookEndpoint(ctx, vigil.WebhookEndpoint{TenantID: "t1", ID: fmt.Sprint("w", i), URL: "http://x", Origin: "ALL"})
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var n int
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) (err error) {
		n, err = tx.CountWebhookEndpoints(ctx, "t1")
		return err
	})
	if n != bound {
		t.Fatalf("%d endpoints after %d racing additions bounded at %d", n, racers, bound)
	}
}
