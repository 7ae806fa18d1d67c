package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// recordingObserver keeps what the writer reports.
type recordingObserver struct {
	mu     sync.Mutex
	groups []int // units per group
	wraps  int
}

func (r *recordingObserver) WriterGroup(units int, held time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if held <= 0 {
		units = -1 // marks a group reported without its time
	}
	r.groups = append(r.groups, units)
}

func (r *recordingObserver) WALWrapped(time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wraps++
}

// TestWriterObserver: every unit the writer runs is reported in a group with its time, and the
// writer's pauses for WAL wraps are reported apart from the groups.
func TestWriterObserver(t *testing.T) {
	s := openTemp(t)
	obs := &recordingObserver{}
	s.ObserveWriter(obs)
	s.checkpoints.wrapFrames = 20 // wrap often
	ctx := context.Background()
	const commits = 300
	for i := range commits {
		if err := s.Update(ctx, tenantUnit(fmt.Sprintf("t%d", i))); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			time.Sleep(2 * checkpointDelay) // a few rounds of the checkpointer
		}
	}
	s.ObserveWriter(nil)
	if err := s.Update(ctx, tenantUnit("unobserved")); err != nil {
		t.Fatal(err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	units := 0
	for _, n := range obs.groups {
		if n < 1 {
			t.Fatalf("a group reported with %d units or without its time: %v", n, obs.groups)
		}
		units += n
	}
	if units != commits {
		t.Errorf("groups reported %d units in all, want %d (the unobserved one left out)", units, commits)
	}
	if obs.wraps == 0 {
		t.Error("no WAL wrap reported, though the WAL passed its bound")
	}
}
