package vigil_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestErasure erases a user with events, a batch record and queued webhook deliveries: every
// read and write of its id is then refused as erased, its event and batch records are gone, its
// deliveries are gone, its id is gone from stored batch answers, and another user is untouched.
func TestErasure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ctx := context.Background()
		if _, err := f.svc.CreateWebhook(ctx, f.tenant, vigil.WebhookSpec{URL: "https://hooks.example.com/vigil"}); err != nil {
			t.Fatal(err)
		}
		f.create(t, `{"userId":"erase-me","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Zebulon","lastName":"Quixotic"}}}`, vigil.Flags{})
		f.create(t, minimalUser(vigil.Consumer, "keep-me"), vigil.Flags{})
		if _, err := f.event(t, eventFor(vigil.Consumer, "ev-erase", "erase-me", 1700000001000, `{"userStateDetails":{"state":"ACTIVE"}}`), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		batch := f.batch(t, vigil.BatchConsumerEvents, `{"batchId":"b-erase","data":[`+
			eventFor(vigil.Consumer, "ev-batch", "erase-me", 1700000002000, `{"tags":[{"key":"k","value":"v"}]}`)+`]}`, vigil.Flags{})
		if batch["successful"] != jsonNum(1) {
			t.Fatalf("batch = %v", batch)
		}
		// A failed record names the id in the batch's stored answer.
		f.batch(t, vigil.BatchConsumerUsers, `{"batchId":"b-names","data":[{"userId":"erase-me","createdTimestamp":1700000000000}]}`, vigil.Flags{})

		endpoints, err := f.store.WebhookEndpoints(ctx, f.tenant.ID)
		if err != nil || len(endpoints) != 1 {
			t.Fatal(endpoints, err)
		}
		if before, err := f.svc.WebhookDeliveries(ctx, f.tenant, endpoints[0].ID, ""); err != nil || !strings.Contains(string(before), "erase-me") {
			t.Fatalf("no delivery names the user before the erasure: %s, %v", before, err)
		}
		reply, err := f.svc.EraseUser(ctx, f.tenant, vigil.Consumer, "erase-me")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(reply), `"userId":"erase-me"`) || !strings.Contains(string(reply), `"erasedAt"`) {
			t.Fatalf("erase reply = %s", reply)
		}
		gone := []struct {
			name string
			do   func() error
		}{
			{"read", func() error { _, err := f.svc.User(ctx, f.tenant, vigil.Consumer, "erase-me"); return err }},
			{"risk", func() error { _, err := f.svc.ExplainRisk(ctx, f.tenant, vigil.Consumer, "erase-me"); return err }},
			{"event", func() error {
				_, err := f.event(t, eventFor(vigil.Consumer, "ev-after", "erase-me", 1700000003000, ""), vigil.Flags{})
				return err
			}},
			{"create", func() error {
				_, err := f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, minimalUser(vigil.Consumer, "erase-me")), vigil.Flags{})
				return err
			}},
			{"erase again", func() error { _, err := f.svc.EraseUser(ctx, f.tenant, vigil.Consumer, "erase-me"); return err }},
		}
		for _, g := range gone {
			if err := g.do(); codeOf(err) != vigil.CodeGone || !strings.Contains(err.Error(), "erased") {
				t.Errorf("%s after the erasure: %v, want the erased error", g.name, err)
			}
		}
		for _, id := range []string{"ev-erase", "ev-batch"} {
			if _, err := f.svc.Event(ctx, f.tenant, vigil.Consumer, id); codeOf(err) != vigil.CodeNotFound {
				t.Errorf("event %s after the erasure: %v", id, err)
			}
		}
		page, err := f.svc.BatchPage(ctx, f.tenant, vigil.BatchConsumerEvents, "b-erase", 1, 100)
		if err != nil || strings.Contains(string(page), "erase-me") {
			t.Errorf("batch page after the erasure: %s, %v", page, err)
		}
		names, err := f.svc.Batch(ctx, f.tenant, vigil.BatchConsumerUsers, obj(t, `{"batchId":"b-names","data":[{"userId":"erase-me","createdTimestamp":1700000000000}]}`), vigil.Flags{})
		if err == nil && strings.Contains(string(names), "erase-me") {
			t.Errorf("a stored batch answer still names the user: %s", names)
		}
		deliveries, err := f.svc.WebhookDeliveries(ctx, f.tenant, endpoints[0].ID, "")
		if err != nil || strings.Contains(string(deliveries), "Zebulon") || strings.Contains(string(deliveries), "erase-me") {
			t.Errorf("deliveries after the erasure: %s, %v", deliveries, err)
		}
		if p := f.profile(t, "keep-me"); p["userId"] != "keep-me" {
			t.Errorf("the other user = %v", p)
		}
		if _, err := f.svc.EraseUser(ctx, f.tenant, vigil.Consumer, "never-there"); codeOf(err) != vigil.CodeNotFound {
			t.Errorf("erase an unknown user: %v", err)
		}
		if _, err := f.svc.EraseUser(ctx, f.tenant, vigil.Business, "keep-me"); codeOf(err) != vigil.CodeNotFound {
			t.Errorf("erase a consumer as a business user: %v", err)
		}
	})
}
