package storetest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// BenchmarkWriteRuleHits times the write of an event computed ahead (WriteUserIf: the user's
// row, its entry and audit record) whose entry hit no rule, one, or four (three live, one
// shadow), per backend: the difference is the cost of the hit counters. "64 per commit" shares
// one commit among 64 writes, so that an fsync does not drown the difference, and pairs groups
// with and without hits (ns/write-delta is the median difference per write); the "8 writers" cases commit each write alone (on PostgreSQL as one statement), from 8 goroutines
// on distinct users hitting the same rules, where PostgreSQL's writers would wait on one counter
// row but for its shards.
//
//	VIGIL_TEST_POSTGRES_DSN=... go test -run XXX -bench BenchmarkWriteRuleHits -count 6 ./internal/storetest/
func BenchmarkWriteRuleHits(b *testing.B) {
	const users = 512
	for _, backend := range Backends(b) {
		b.Run(backend.Name, func(b *testing.B) {
			ctx := context.Background()
			s, _ := openForBench(b, backend)
			seqs := make([]int64, users)
			err := s.Update(ctx, func(tx vigil.Tx) error {
				for i := range users {
					if err := tx.InsertUser(ctx, sampleUser("t1", fmt.Sprint("uid-", i), fmt.Sprint("user-", i))); err != nil {
						return err
					}
					seqs[i] = 1
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			// writeIn stores one event on user i in tx (one writer per user at a time).
			writeIn := func(ctx context.Context, tx vigil.Tx, i int, hits []vigil.RuleHit) error {
				uid, userID := fmt.Sprint("uid-", i), fmt.Sprint("user-", i)
				u := sampleUser("t1", uid, userID)
				u.LastSeq = seqs[i] + 1
				n := next.Add(1)
				e := vigil.Entry{TenantID: "t1", UserUID: uid, Seq: u.LastSeq, Type: vigil.EntryEvent, EventKind: vigil.Consumer,
					EventID: fmt.Sprint("e", n), Body: []byte(`{}`), Response: []byte(`{"status":"FLAG"}`), CreatedAt: 1_800_000_000_000, RuleHits: hits}
				done, err := tx.WriteUserIf(ctx, vigil.UserVersion{UserID: userID, UID: uid, LastSeq: seqs[i]}, u, []vigil.Entry{e}, nil,
					auditRecord("t1", fmt.Sprint("a", n), n))
				if err == nil && !done {
					err = fmt.Errorf("the write of %s at %d was not stored", userID, seqs[i])
				}
				return err
			}
			// group stores one event on each of users first, first+step... in one transaction
			// (which SQLite's one writer may commit with others'), and moves their seqs on.
			group := func(b *testing.B, first, step, count int, hits []vigil.RuleHit) {
				users := make([]int, count)
				for k := range users {
					users[k] = first + k*step
				}
				err := s.Update(ctx, func(tx vigil.Tx) error {
					// A WriteUserIf that is a unit's first statement may be its whole
					// transaction (it ends the unit): a group's writes come after a read.
					if count > 1 {
						if _, err := tx.ConfigVersion(ctx, "t1"); err != nil && !errors.Is(err, vigil.ErrNotFound) {
							return err
						}
					}
					for _, i := range users {
						if err := writeIn(ctx, tx, i, hits); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				for _, i := range users {
					seqs[i]++
				}
			}
			four := []vigil.RuleHit{{RuleInstanceID: "R-U1.1"}, {RuleInstanceID: "R-U4.1"}, {RuleInstanceID: "RC-7"}, {RuleInstanceID: "RC-9", Shadow: true}}
			// Paired (pairs): 64 writes per commit, where the counters' own cost shows, and one,
			// where a PostgreSQL write is one statement.
			for _, per := range []int{64, 1} {
				for _, hits := range [][]vigil.RuleHit{four[:1], four} {
					pairs(b, fmt.Sprintf("%d per commit, %d hits against none", per, len(hits)), func(h []vigil.RuleHit) float64 {
						start := time.Now()
						group(b, 0, users/per, per, h)
						return float64(time.Since(start).Nanoseconds()) / float64(per)
					}, hits)
				}
			}
			for _, tc := range []struct {
				name string
				hits []vigil.RuleHit
			}{{"no hits", nil}, {"1 hit", four[:1]}, {"4 hits", four}} {
				b.Run(tc.name+" 8 writers", func(b *testing.B) {
					var writer atomic.Int64
					b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0))) // 8 goroutines in all
					b.RunParallel(func(pb *testing.PB) {
						// Each goroutine writes its own users: w, w+64, w+128...
						w := int(writer.Add(1)-1) % 64
						for i := 0; pb.Next(); i++ {
							group(b, w+64*(i%(users/64)), 1, 1, tc.hits)
						}
					})
				})
			}
		})
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkReadRuleHits times the read of the console's rule pages (Service.RuleHitStats's
// query): 30 days of counters of a
// tenant whose 50 rules each hit every hour, from 8 users (every shard on PostgreSQL), the worst
// case of a tenant of 50 rules whatever its number of users and writes.
//
//	VIGIL_TEST_POSTGRES_DSN=... go test -run XXX -bench BenchmarkReadRuleHits -benchtime 50x ./internal/storetest/
func BenchmarkReadRuleHits(b *testing.B) {
	const rules, hours, writers = 50, 720, 8
	for _, backend := range Backends(b) {
		b.Run(backend.Name, func(b *testing.B) {
			ctx := context.Background()
			s, analyze := openForBench(b, backend)
			hits := make([]vigil.RuleHit, rules)
			for r := range hits {
				hits[r] = vigil.RuleHit{RuleInstanceID: fmt.Sprintf("R-%02d", r), Shadow: r%10 == 9}
			}
			for w := range writers {
				uid := fmt.Sprint("uid-", w)
				err := s.Update(ctx, func(tx vigil.Tx) error {
					if err := tx.InsertUser(ctx, sampleUser("t1", uid, fmt.Sprint("user-", w))); err != nil {
						return err
					}
					for h := range hours {
						e := vigil.Entry{TenantID: "t1", UserUID: uid, Seq: int64(h + 2), Type: vigil.EntryUpdate, Body: []byte(`{}`),
							CreatedAt: int64(h) * vigil.HourMillis, RuleHits: hits}
						if err := tx.InsertEntry(ctx, e); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			analyze()
			b.ResetTimer()
			for b.Loop() {
				days, err := s.RuleHitDays(ctx, "t1", 0)
				if err != nil || len(days) != rules*hours/24 {
					b.Fatalf("%d days' counts, %v", len(days), err)
				}
			}
		})
	}
}

// pairs runs a paired benchmark: each round times a write without hits and one with them
// (timed returns the time per write), in alternating order, so the machine's drift falls on
// both; the metrics are the medians of the rounds' times and of their differences.
func pairs(b *testing.B, name string, timed func([]vigil.RuleHit) float64, hits []vigil.RuleHit) {
	b.Run(name, func(b *testing.B) {
		var without, with, delta []float64
		for i := 0; b.Loop(); i++ {
			var a, c float64
			if i%2 == 0 {
				a, c = timed(nil), timed(hits)
			} else {
				c, a = timed(hits), timed(nil)
			}
			without, with, delta = append(without, a), append(with, c), append(delta, c-a)
		}
		b.ReportMetric(median(without), "ns/write-none")
		b.ReportMetric(median(with), "ns/write-hits")
		b.ReportMetric(median(delta), "ns/write-delta")
	})
}
