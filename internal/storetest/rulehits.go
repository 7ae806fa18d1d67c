package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// hitsOf shows a tenant's hit counters from fromDay on as "hour:rule[:shadow]=n", in order of
// day, rule and shadow flag, then hour.
func hitsOf(t *testing.T, s vigil.Store, tenant string, fromDay int64) string {
	t.Helper()
	days, err := s.RuleHitDays(context.Background(), tenant, fromDay)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range days {
		shadow := ""
		if c.Shadow {
			shadow = ":shadow"
		}
		for h, n := range c.Hours {
			if n != 0 {
				out = append(out, fmt.Sprintf("%d:%s%s=%d", c.Day*24+int64(h), c.RuleInstanceID, shadow, n))
			}
		}
	}
	return strings.Join(out, " ")
}

// testRuleHits checks the hit counters: every stored entry's RuleHits are counted in the hour
// of its CreatedAt, by rule and shadow flag, whichever write stored it (WriteUser, WriteUserIf
// alone or after other statements, InsertEntry) and whichever user (shard); a write that is not
// stored counts nothing.
func testRuleHits(t *testing.T, s vigil.Store) {
	const h = vigil.HourMillis
	live := func(ids ...string) []vigil.RuleHit {
		var hits []vigil.RuleHit
		for _, id := range ids {
			hits = append(hits, vigil.RuleHit{RuleInstanceID: id, Shadow: strings.HasPrefix(id, "S")})
		}
		return hits
	}
	entry := func(uid string, seq int64, at int64, hits []vigil.RuleHit) vigil.Entry {
		return vigil.Entry{TenantID: "t1", UserUID: uid, Seq: seq, Type: vigil.EntryEvent, EventKind: vigil.Consumer,
			EventID: fmt.Sprintf("%s-e%d", uid, seq), Body: []byte(`{}`), Response: []byte(`{}`), CreatedAt: at, RuleHits: hits}
	}
	// Creates of two users (two shards on PostgreSQL) in hour 10; the second's system entry
	// hits nothing.
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.WriteUser(ctx, sampleUser("t1", "uid-1", "alice"), true, []vigil.Entry{entry("uid-1", 1, 10*h, live("R1", "S1"))}, nil, auditRecord("t1", "a1", 1)); err != nil {
			return err
		}
		bob := sampleUser("t1", "uid-2", "bob")
		bob.LastSeq = 2
		return tx.WriteUser(ctx, bob, true, []vigil.Entry{entry("uid-2", 1, 10*h+5, live("R1")), entry("uid-2", 2, 10*h+5, nil)}, nil, auditRecord("t1", "a2", 2))
	})
	// Another tenant's hits are its own.
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		e := entry("uid-x", 1, 10*h, live("R1"))
		e.TenantID = "t2"
		return tx.WriteUser(ctx, sampleUser("t2", "uid-x", "alice"), true, []vigil.Entry{e}, nil, auditRecord("t2", "ax", 1))
	})
	if got, want := hitsOf(t, s, "t1", 0), "10:R1=2 10:S1:shadow=1"; got != want {
		t.Fatalf("after two creates: %s, want %s", got, want)
	}
	// A conditional write as the unit's first statement, and one after a read.
	writeIf := func(based vigil.UserVersion, e vigil.Entry, readFirst bool) bool {
		t.Helper()
		u := sampleUser("t1", based.UID, based.UserID)
		u.LastSeq = e.Seq
		var done bool
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
			if readFirst {
				if _, err := tx.LockUser(ctx, "t1", based.UserID); err != nil {
					return err
				}
			}
			var err error
			done, err = tx.WriteUserIf(ctx, based, u, []vigil.Entry{e}, nil, auditRecord("t1", e.EventID, e.Seq))
			return err
		})
		return done
	}
	if !writeIf(vigil.UserVersion{UserID: "alice", UID: "uid-1", LastSeq: 1}, entry("uid-1", 2, 11*h, live("R2", "R1", "S1")), false) {
		t.Fatal("a current conditional write was not stored")
	}
	if !writeIf(vigil.UserVersion{UserID: "bob", UID: "uid-2", LastSeq: 2}, entry("uid-2", 3, 11*h+1, live("R1")), true) {
		t.Fatal("a current conditional write after a read was not stored")
	}
	if writeIf(vigil.UserVersion{UserID: "alice", UID: "uid-1", LastSeq: 1}, entry("uid-1", 3, 11*h, live("R1", "R9")), false) {
		t.Fatal("a stale conditional write was stored")
	}
	// A write that fails (its eventId is taken) counts nothing.
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		u := sampleUser("t1", "uid-1", "alice")
		u.LastSeq = 3
		e := entry("uid-1", 3, 11*h, live("R1", "R9"))
		e.EventID = "uid-1-e2"
		return tx.WriteUser(ctx, u, false, []vigil.Entry{e}, nil, auditRecord("t1", "a-dup", 3))
	}); !errors.Is(err, vigil.ErrDuplicate) {
		t.Fatalf("a write reusing an eventId = %v, want ErrDuplicate", err)
	}
	// Day 1: an entry alone, and a write of two entries in two hours of the day.
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.InsertEntry(ctx, entry("uid-2", 4, 26*h, live("S1")))
	})
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		bob := sampleUser("t1", "uid-2", "bob")
		bob.LastSeq = 6
		return tx.WriteUser(ctx, bob, false, []vigil.Entry{entry("uid-2", 5, 27*h, live("R1")), entry("uid-2", 6, 47*h+9, live("R1"))}, nil, auditRecord("t1", "a6", 6))
	})
	if got, want := hitsOf(t, s, "t1", 0), "10:R1=2 11:R1=2 11:R2=1 10:S1:shadow=1 11:S1:shadow=1 27:R1=1 47:R1=1 26:S1:shadow=1"; got != want {
		t.Fatalf("counters: %s, want %s", got, want)
	}
	if got, want := hitsOf(t, s, "t1", 1), "27:R1=1 47:R1=1 26:S1:shadow=1"; got != want {
		t.Fatalf("counters from day 1: %s, want %s", got, want)
	}
	if got, want := hitsOf(t, s, "t2", 0), "10:R1=1"; got != want {
		t.Fatalf("the other tenant's counters: %s, want %s", got, want)
	}
	if got := hitsOf(t, s, "nobody", 0); got != "" {
		t.Fatalf("an unknown tenant's counters: %s", got)
	}
}

// testOverviewCounts checks the overview's counts: users by search term, and an endpoint's
// deliveries of a window by status, with those that failed at least once.
func testOverviewCounts(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		for i, level := range []string{"HIGH", "HIGH", "LOW", ""} {
			u := sampleUser("t1", fmt.Sprint("uid-", i), fmt.Sprint("user", i))
			u.TermsAdded = []string{vigil.TermAll}
			if level != "" {
				u.TermsAdded = append(u.TermsAdded, "cra:"+level)
			}
			u.Terms = strings.Join(u.TermsAdded, "\n")
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
		}
		other := sampleUser("t2", "uid-o", "other")
		other.TermsAdded = []string{vigil.TermAll, "cra:HIGH"}
		return tx.InsertUser(ctx, other)
	})
	for term, want := range map[string]int64{vigil.TermAll: 4, "cra:HIGH": 2, "cra:LOW": 1, "cra:MEDIUM": 0} {
		if n, err := s.CountTerm(ctx, "t1", term); err != nil || n != want {
			t.Errorf("CountTerm(%s) = %d, %v; want %d", term, n, err, want)
		}
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		for _, d := range []struct {
			id, endpoint, status string
			attempts             int
			created              int64
		}{
			{"old", "w1", vigil.DeliveryFailed, 9, 50}, // before the window
			{"ok1", "w1", vigil.DeliveryDelivered, 1, 100}, {"ok2", "w1", vigil.DeliveryDelivered, 3, 150},
			{"new", "w1", vigil.DeliveryPending, 0, 160}, {"retrying", "w1", vigil.DeliveryPending, 2, 170},
			{"gaveup", "w1", vigil.DeliveryFailed, 5, 180}, {"elsewhere", "w2", vigil.DeliveryFailed, 1, 180},
		} {
			del := delivery(d.id, d.id, 1)
			del.EndpointID, del.Status, del.Attempts, del.CreatedAt = d.endpoint, d.status, d.attempts, d.created
			if err := tx.InsertDelivery(ctx, del); err != nil {
				return err
			}
		}
		return nil
	})
	counts, err := s.DeliveryCounts(ctx, "t1", "w1", 100)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(counts)
	if want := "[{w1 DELIVERED 2 1} {w1 FAILED 1 1} {w1 PENDING 2 1}]"; got != want {
		t.Fatalf("DeliveryCounts = %s, want %s", got, want)
	}
}
