package vigil_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

func (f *fixture) batch(t *testing.T, kind vigil.BatchKind, body string, flags vigil.Flags) schema.Object {
	t.Helper()
	reply, err := f.svc.Batch(context.Background(), f.tenant, kind, obj(t, body), flags)
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	return obj(t, string(reply))
}

func failures(resp schema.Object) string {
	var out []string
	for _, r := range resp["failedRecords"].([]any) {
		o := r.(schema.Object)
		out = append(out, fmt.Sprint(o["id"], "=", o["reasonCode"]))
	}
	return strings.Join(out, ",")
}

func TestBatchUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, minimalUser(vigil.Consumer, "exists"), vigil.Flags{})
		f.createAs(t, vigil.Business, minimalUser(vigil.Business, "biz"), vigil.Flags{})
		// One record of each outcome: created, invalid, repeated, existing, other type, not an object.
		mixed := `{"batchId":"b1","data":[
			{"userId":"new1","createdTimestamp":1700000000000,"occupation":"pilot"},
			{"userId":"bad","createdTimestamp":1.1},
			{"userId":"new1","createdTimestamp":1700000000000},
			{"userId":"exists","createdTimestamp":1700000000000},
			{"userId":"biz","createdTimestamp":1700000000000},
			"not an object",
			{"userId":"new2","createdTimestamp":1700000000000}]}`
		resp := f.batch(t, vigil.BatchConsumerUsers, mixed, vigil.Flags{})
		if resp["status"] != "PARTIAL_FAILURE" || resp["successful"] != jsonNum(2) || resp["failed"] != jsonNum(5) {
			t.Fatalf("response = %v", resp)
		}
		want := "bad=VALIDATION_ERROR,new1=DUPLICATE_ID_IN_BATCH,exists=ID_ALREADY_EXISTS,biz=USER_TYPE_MISMATCH,5=VALIDATION_ERROR"
		if got := failures(resp); got != want {
			t.Fatalf("failures = %s, want %s", got, want)
		}
		if p := f.profile(t, "new1"); p["occupation"] != "pilot" || p["riskLevel"] == nil {
			t.Fatalf("batch-created user = %v", p)
		}
		if _, err := f.svc.User(context.Background(), f.tenant, vigil.Consumer, "bad"); codeOf(err) != vigil.CodeNotFound {
			t.Fatal("an invalid record was written")
		}
		page, err := f.svc.BatchPage(context.Background(), f.tenant, vigil.BatchConsumerUsers, "b1", 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		p := obj(t, string(page))
		items := p["consumerUsers"].([]any)
		if p["totalCount"] != jsonNum(2) || len(items) != 1 || items[0].(schema.Object)["userId"] != "new2" || items[0].(schema.Object)["executedRules"] == nil {
			t.Fatalf("page 2 of size 1 = %v", p)
		}
		// An identical retry replays; other data under the same batchId is a conflict.
		again := f.batch(t, vigil.BatchConsumerUsers, mixed, vigil.Flags{})
		if schema.Fingerprint(again) != schema.Fingerprint(resp) {
			t.Fatalf("retry = %v, want the first response", again)
		}
		if _, err := f.svc.Batch(context.Background(), f.tenant, vigil.BatchConsumerUsers, obj(t, `{"batchId":"b1","data":[]}`), vigil.Flags{}); codeOf(err) != vigil.CodeConflict {
			t.Fatalf("reused batchId: %v", err)
		}
		all := f.batch(t, vigil.BatchConsumerUsers, `{"data":[{"userId":"x","createdTimestamp":1}]}`, vigil.Flags{})
		if all["status"] != "FAILURE" || all["batchId"] == "" {
			t.Fatalf("all failed: %v", all)
		}
		if _, err := f.svc.BatchPage(context.Background(), f.tenant, vigil.BatchConsumerUsers, "nope", 1, 20); codeOf(err) != vigil.CodeNotFound {
			t.Fatalf("unknown batch: %v", err)
		}
	})
}

// jsonNum is a number as decoded JSON holds it.
func jsonNum(n int) any { return json.Number(fmt.Sprint(n)) }

func TestBatchEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, baseUser, vigil.Flags{})
		if _, err := f.event(t, stateEvent("used", 1700000000500, "DORMANT"), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		body := `{"batchId":"e1","data":[
			{"userId":"u1","timestamp":1700000002000,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"BLOCKED"},"tags":[{"key":"a","value":"1"}]}},
			{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"},"tags":[{"key":"b","value":"1"}]}},
			{"userId":"nobody","timestamp":1700000001000},
			{"eventId":"used","userId":"u1","timestamp":1700000003000},
			{"eventId":"twice","userId":"u1","timestamp":1700000003000},
			{"eventId":"twice","userId":"u1","timestamp":1700000003000}]}`
		resp := f.batch(t, vigil.BatchConsumerEvents, body, vigil.Flags{})
		if got := failures(resp); got != "2=RELATED_ID_NOT_FOUND,used=CONFLICT,twice=DUPLICATE_ID_IN_BATCH" {
			t.Fatalf("failures = %s", got)
		}
		p := f.profile(t, "u1")
		if state(p) != "BLOCKED" || len(p["tags"].([]any)) != 2 {
			t.Fatalf("profile after the batch = %v", p)
		}
		if _, err := f.svc.Event(context.Background(), f.tenant, vigil.Consumer, "e1-1"); err != nil {
			t.Fatalf("derived eventId: %v", err)
		}
		again := f.batch(t, vigil.BatchConsumerEvents, body, vigil.Flags{})
		if schema.Fingerprint(again) != schema.Fingerprint(resp) {
			t.Fatal("a retried batch did not replay")
		}
		if p2 := f.profile(t, "u1"); schema.Fingerprint(p2) != schema.Fingerprint(p) {
			t.Fatal("a retried batch changed the user")
		}
	})
}

// TestBatchGivesTheResultsOfSingleRequests applies the same records singly and as batches and
// compares the users.
func TestBatchGivesTheResultsOfSingleRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		single, batched := newFixture(t, b), newFixture(t, b)
		users := []string{cleanConsumer, `{"userId":"risky","createdTimestamp":1700000000000,"sanctionsStatus":true}`}
		var events []string
		for i := range 6 {
			events = append(events, eventFor(vigil.Consumer, fmt.Sprint("e", i), []string{"clean", "risky"}[i%2], 1700000001000+int64(i*1000),
				fmt.Sprintf(`{"tags":[{"key":"k%d","value":"v"}],"userStateDetails":{"state":%q}}`, i, []string{"ACTIVE", "SUSPENDED", "BLOCKED"}[i%3])))
		}
		for _, u := range users {
			single.create(t, u, vigil.Flags{})
		}
		for _, e := range events {
			if _, err := single.event(t, e, vigil.Flags{}); err != nil {
				t.Fatal(err)
			}
		}
		batched.batch(t, vigil.BatchConsumerUsers, `{"data":[`+strings.Join(users, ",")+`]}`, vigil.Flags{})
		batched.batch(t, vigil.BatchConsumerEvents, `{"data":[`+strings.Join(events, ",")+`]}`, vigil.Flags{})
		for _, id := range []string{"clean", "risky"} {
			a, b := single.profile(t, id), batched.profile(t, id)
			for _, p := range []schema.Object{a, b} {
				for _, r := range append(p["executedRules"].([]any), p["hitRules"].([]any)...) {
					delete(r.(schema.Object), "versionId") // ids differ between the two tenants
				}
			}
			if schema.Fingerprint(a) != schema.Fingerprint(b) {
				ea, _ := schema.Encode(a)
				eb, _ := schema.Encode(b)
				t.Fatalf("%s differs:\nsingle  %s\nbatched %s", id, ea, eb)
			}
		}
	})
}

func TestBatchLimits(t *testing.T) {
	f := newFixture(t, storetest.Backends(t)[0])
	big := `{"data":[` + strings.TrimSuffix(strings.Repeat(`{},`, vigil.MaxBatchRecords+1), ",") + `]}`
	if _, err := f.svc.Batch(context.Background(), f.tenant, vigil.BatchConsumerUsers, obj(t, big), vigil.Flags{}); codeOf(err) != vigil.CodeInvalid {
		t.Fatalf("%d records: %v", vigil.MaxBatchRecords+1, err)
	}
	for _, body := range []string{`{}`, `{"data":{}}`, `{"data":[],"batchId":""}`, `{"data":[],"batchId":7}`} {
		if _, err := f.svc.Batch(context.Background(), f.tenant, vigil.BatchConsumerUsers, obj(t, body), vigil.Flags{}); codeOf(err) != vigil.CodeInvalid {
			t.Errorf("%s: %v, want invalid", body, err)
		}
	}
}
