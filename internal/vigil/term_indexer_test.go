package vigil_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestTermIndexerRounds: a round applies units until it has applied the users pending when it
// began, even while units keep reporting more (users written during the round) and however
// many users each unit held, and stops early when a unit reports none left.
func TestTermIndexerRounds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pending   int
		unitUsers int   // users each unit applies
		moreUntil int32 // units report more until this many ran
		want      int32
	}{
		{"bounded by what was pending", 130, 64, 100, 3},
		{"units of fewer users (many index rows each)", 130, 20, 100, 7},
		{"done before the bound", 640, 64, 2, 2},
		{"nothing pending", 0, 64, 100, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var units, calls, observed atomic.Int32
			firstRound := make(chan int32, 1)
			b := vigil.TermBatches{
				Observe: func(pending int) { observed.Store(int32(pending)) },
				Pending: func(context.Context) (int, error) {
					if calls.Add(1) == 2 { // the second round began: the first is over
						firstRound <- units.Load()
					}
					return tc.pending, nil
				},
				ApplyUnit: func(context.Context) (int, bool, error) {
					return tc.unitUsers, units.Add(1) < tc.moreUntil, nil
				},
			}
			stop, stopped := make(chan struct{}), make(chan struct{})
			go vigil.RunTermIndexer(b, time.Millisecond, stop, stopped)
			got := <-firstRound
			close(stop)
			<-stopped
			if got != tc.want {
				t.Errorf("the first round applied %d units, want %d", got, tc.want)
			}
			if n := observed.Load(); n != int32(tc.pending) {
				t.Errorf("observed %d pending, want %d", n, tc.pending)
			}
		})
	}
}

// TestTermIndexerNever: with a negative interval nothing is applied, and stop still ends it.
func TestTermIndexerNever(t *testing.T) {
	var calls atomic.Int32
	b := vigil.TermBatches{
		Pending:   func(context.Context) (int, error) { calls.Add(1); return 100, nil },
		ApplyUnit: func(context.Context) (int, bool, error) { calls.Add(1); return 64, true, nil },
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go vigil.RunTermIndexer(b, -1, stop, stopped)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	<-stopped
	if n := calls.Load(); n != 0 {
		t.Errorf("%d calls with a negative interval", n)
	}
}

// pendingCounts records what a started indexer's rounds report.
type pendingCounts struct{ last atomic.Int32 }

func (p *pendingCounts) TermsPending(users int) { p.last.Store(int32(users)) }

// TestStartedTermIndexer: a started indexer reports its rounds to the observer set after it
// started, and stops once however often Stop is called.
func TestStartedTermIndexer(t *testing.T) {
	b := vigil.TermBatches{
		Pending:   func(context.Context) (int, error) { return 7, nil },
		ApplyUnit: func(context.Context) (int, bool, error) { return 0, false, nil },
	}
	x := vigil.StartTermIndexer(b, time.Millisecond)
	observed := &pendingCounts{}
	x.Observe(observed)
	for deadline := time.Now().Add(10 * time.Second); observed.last.Load() != 7; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no round reported to the observer")
		}
	}
	x.Stop()
	x.Stop()
}
