package vigil_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// newAuditRecords seals the log and returns the records sealed after seq *after, moving it on.
func newAuditRecords(t *testing.T, f *fixture, after *int64) []vigil.AuditRecord {
	t.Helper()
	ctx := context.Background()
	if _, err := f.svc.SealAudit(ctx); err != nil {
		t.Fatal(err)
	}
	records, err := f.store.AuditRecords(ctx, f.tenant.ID, *after, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) > 0 {
		*after = records[len(records)-1].Seq
	}
	return records
}

// TestEveryChangeLeavesOneAuditRecord makes every kind of change, and some that fail, and checks
// that each change left exactly its records (with the caller's actor and request id), that a
// failed one left none, and that the chain verifies.
func TestEveryChangeLeavesOneAuditRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ctx := vigil.WithCaller(context.Background(), &vigil.Caller{RequestID: "req-1", Actor: "key:k1"})
		var after int64
		newAuditRecords(t, f, &after) // the tenant's, its rules' and its key's
		var webhookID string
		failed := func(_ []byte, err error) error {
			if err == nil {
				t.Fatal("the change succeeded; want it to fail")
			}
			return nil
		}
		ok := func(_ []byte, err error) error { return err }
		var tempKey string
		steps := []struct {
			name string
			do   func() error
			want []string
		}{
			{"create", func() error {
				return ok(f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"u1","createdTimestamp":1700000000000}`), vigil.Flags{}))
			}, []string{"user.create"}},
			{"create of an existing user (nothing changes)", func() error {
				return ok(f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"u1","createdTimestamp":1700000000000}`), vigil.Flags{}))
			}, nil},
			{"update", func() error {
				no := false
				return ok(f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"u1","createdTimestamp":1700000000000,"tags":[{"key":"a","value":"b"}]}`),
					vigil.Flags{ValidateUserID: &no}))
			}, []string{"user.update"}},
			{"event", func() error {
				_, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, `{"eventId":"e1","userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"tags":[{"key":"k","value":"v"}]}}`), vigil.Flags{})
				return err
			}, []string{"user.event"}},
			{"event for a missing user", func() error {
				_, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"nobody","timestamp":1700000001000}`), vigil.Flags{})
				return failed(nil, err)
			}, nil},
			{"invalid event", func() error {
				_, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"u1","timestamp":"soon"}`), vigil.Flags{})
				return failed(nil, err)
			}, nil},
			{"batch of users, one invalid", func() error {
				return ok(f.svc.Batch(ctx, f.tenant, vigil.BatchConsumerUsers, obj(t, `{"batchId":"b1","data":[
					{"userId":"u2","createdTimestamp":1700000000000},{"userId":"u3","createdTimestamp":1700000000000},{"userId":7}]}`), vigil.Flags{}))
			}, []string{"batch.create", "user.create", "user.create"}},
			{"batch of events", func() error {
				return ok(f.svc.Batch(ctx, f.tenant, vigil.BatchConsumerEvents, obj(t, `{"batchId":"b2","data":[
					{"userId":"u2","timestamp":1700000002000},{"userId":"u3","timestamp":1700000002000}]}`), vigil.Flags{}))
			}, []string{"batch.create", "user.event", "user.event"}},
			{"rule put", func() error {
				return ok(f.svc.PutRule(ctx, f.tenant, "X-1", []byte(`{"ruleId":"X","ruleName":"x","ruleDescription":"d","ruleAction":"FLAG","expression":"true"}`)))
			}, []string{"rule.put"}},
			{"invalid rule", func() error {
				return failed(f.svc.PutRule(ctx, f.tenant, "X-2", []byte(`{"ruleId":"X","expression":"=="}`)))
			}, nil},
			{"rule delete", func() error { return f.svc.DeleteRule(ctx, f.tenant, "X-1") }, []string{"rule.delete"}},
			{"delete of a missing rule", func() error { return failed(nil, f.svc.DeleteRule(ctx, f.tenant, "X-1")) }, nil},
			{"rules apply", func() error {
				_, err := f.svc.ApplyRulesByName(ctx, "acme", []byte(`[{"ruleId":"Y","ruleInstanceId":"Y-1","ruleName":"y","ruleDescription":"d","ruleAction":"FLAG","expression":"true"},
					{"ruleId":"Y","ruleInstanceId":"Y-2","ruleName":"y","ruleDescription":"d","ruleAction":"FLAG","expression":"false"}]`))
				return err
			}, []string{"rule.apply", "rule.apply"}},
			{"risk model", func() error {
				model, err := f.svc.RiskModel(ctx, f.tenant)
				if err != nil {
					return err
				}
				return ok(f.svc.PutRiskModel(ctx, f.tenant, model))
			}, []string{"risk_model.put"}},
			{"invalid risk model", func() error { return failed(f.svc.PutRiskModel(ctx, f.tenant, []byte(`{"factors":7}`))) }, nil},
			{"webhook create", func() error {
				reply, err := f.svc.CreateWebhook(ctx, f.tenant, vigil.WebhookSpec{URL: "https://example.com/hook"})
				var v struct{ ID string }
				json.Unmarshal(reply, &v)
				webhookID = v.ID
				return err
			}, []string{"webhook.create"}},
			{"webhook rotate", func() error { return ok(f.svc.RotateWebhookSecret(ctx, f.tenant, webhookID)) }, []string{"webhook.rotate"}},
			{"webhook delete", func() error { return f.svc.DeleteWebhook(ctx, f.tenant, webhookID) }, []string{"webhook.delete"}},
			{"retry of a missing delivery", func() error { return failed(f.svc.RetryWebhookDelivery(ctx, f.tenant, "nope")) }, nil},
			{"key create", func() error {
				k, err := f.svc.CreateScopedKey(ctx, "acme", "temp", nil)
				tempKey = k.Key.ID
				return err
			}, []string{"key.create"}},
			{"key revoke", func() error { _, err := f.svc.RevokeKey(ctx, f.tenant.ID, tempKey); return err }, []string{"key.revoke"}},
			{"revoke of a revoked key (nothing changes)", func() error { _, err := f.svc.RevokeKey(ctx, f.tenant.ID, tempKey); return err }, nil},
			{"rate limit set", func() error { _, err := f.svc.SetRateLimit(ctx, "acme", 10, 20); return err }, []string{"rate_limit.set"}},
			{"rate limit clear", func() error { return f.svc.ClearRateLimit(ctx, "acme") }, []string{"rate_limit.clear"}},
			{"erasure", func() error { return ok(f.svc.EraseUser(ctx, f.tenant, vigil.Consumer, "u3")) }, []string{"user.erase"}},
			{"erasure of an erased user", func() error { return failed(f.svc.EraseUser(ctx, f.tenant, vigil.Consumer, "u3")) }, nil},
		}
		for _, step := range steps {
			if err := step.do(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			records := newAuditRecords(t, f, &after)
			var actions []string
			for _, r := range records {
				actions = append(actions, r.Action)
				if r.Actor != "key:k1" || r.RequestID != "req-1" || r.TenantID != f.tenant.ID {
					t.Errorf("%s: record %+v; want actor key:k1, request req-1, tenant %s", step.name, r, f.tenant.ID)
				}
			}
			slices.Sort(actions)
			if !slices.Equal(actions, step.want) {
				t.Fatalf("%s: audit records %v, want %v", step.name, actions, step.want)
			}
		}
		v, err := f.svc.VerifyAudit(context.Background(), "acme")
		if err != nil || v.BrokenSeq != 0 || v.Head.Seq != after || v.StaleUnsealed != 0 {
			t.Fatalf("VerifyAudit = %+v, %v; want the chain to verify up to %d", v, err, after)
		}
	})
}

// TestAuditRecordOfAnEvent checks what an event's record holds: the reference to its history
// entry and the digest of the entry as docs/audit.md lays it out, and the actor of a caller
// without a key (an HTTP request before keys have ids) and of no caller at all (the server).
func TestAuditRecordOfAnEvent(t *testing.T) {
	f := newFixture(t, storetest.Backends(t)[0])
	var after int64
	newAuditRecords(t, f, &after)
	f.create(t, `{"userId":"u1","createdTimestamp":1700000000000}`, vigil.Flags{})
	ctx := vigil.WithCaller(context.Background(), &vigil.Caller{RequestID: "req-9"})
	if _, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, `{"eventId":"e1","userId":"u1","timestamp":1700000001000}`), vigil.Flags{}); err != nil {
		t.Fatal(err)
	}
	records := newAuditRecords(t, f, &after)
	if len(records) != 2 || records[0].Actor != "system" || records[1].Actor != "api" || records[1].RequestID != "req-9" {
		t.Fatalf("records %+v; want the create by the system, then the event by api with request req-9", records)
	}
	rec, err := f.store.User(context.Background(), f.tenant.ID, "u1")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := f.store.UserEntries(context.Background(), f.tenant.ID, rec.UID)
	if err != nil || len(entries) != 2 {
		t.Fatalf("history %v, %v", entries, err)
	}
	e := entries[1]
	if want := "user/" + rec.UID + "/2"; records[1].Target != want {
		t.Fatalf("target %q, want %q", records[1].Target, want)
	}
	// The documented layout: Seq (8 bytes), then Type and Body each with a 4-byte length.
	var buf []byte
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.Seq))
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(e.Type)))
	buf = append(buf, e.Type...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(e.Body)))
	buf = append(buf, e.Body...)
	if d := sha256.Sum256(buf); string(d[:]) != string(records[1].Digest) {
		t.Fatalf("digest %x, want %x (SHA-256 of the entry as documented)", records[1].Digest, d)
	}
	if !strings.Contains(string(e.Body), `"e1"`) {
		t.Fatalf("entry body %s is not the event's", e.Body)
	}
}

// TestVerifyWhileSealing verifies a chain that grows meanwhile (records appended, and sealed
// with their changes on SQLite or by a sealer pass on PostgreSQL): a record sealed while the
// chain is read must not look inserted after the head, nor the head look past the records.
func TestVerifyWhileSealing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ctx := context.Background()
		stop := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			for {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				err := f.store.Update(ctx, func(tx vigil.Tx) error {
					return f.svc.Audit(ctx, tx, f.tenant.ID, "test.change", "test/x", nil)
				})
				if err == nil {
					_, err = f.svc.SealAudit(ctx)
				}
				if err != nil {
					done <- err
					return
				}
			}
		}()
		var last int64
		for i := 0; last < 60; i++ {
			v, err := f.svc.VerifyAudit(ctx, f.tenant.Name)
			if err != nil || v.Broken != "" || i == 100_000 {
				close(stop)
				t.Fatalf("verification %d while sealing = %+v, %v", i, v, err)
			}
			last = v.Head.Seq
		}
		close(stop)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
