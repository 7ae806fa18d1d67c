package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

func openLimited(t *testing.T, limits Limits) *Store {
	t.Helper()
	s, err := OpenWith(context.Background(), filepath.Join(t.TempDir(), "test.db"), limits)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// holdWriter occupies the writer with a unit until the returned release is called.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(vigil.Tx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(gate)
			if err := <-done; err != nil {
				t.Errorf("the unit holding the writer: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// waitPending waits until n units are queued.
func waitPending(t *testing.T, s *Store, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.pending.Load() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d units queued, want %d", s.pending.Load(), n)
		}
	}
}

// TestQueueBound: with the writer busy and the queue full, the next write is refused at once with
// ErrOverloaded and leaves nothing; the queued ones all commit.
func TestQueueBound(t *testing.T) {
	const max = 4
	s := openLimited(t, Limits{MaxQueue: max, MaxWait: time.Minute})
	release := holdWriter(t, s)
	results := make(chan error, max)
	for i := range max {
		go func() { results <- s.Update(context.Background(), tenantUnit(fmt.Sprint("queued", i))) }()
	}
	waitPending(t, s, max)

	for _, try := range []struct {
		name string
		call func() error
	}{
		{"Update", func() error { return s.Update(context.Background(), tenantUnit("refused")) }},
		{"UpdateAll", func() error {
			_, err := s.UpdateAll(context.Background(), []func(vigil.Tx) error{tenantUnit("refused")})
			return err
		}},
	} {
		if err := try.call(); !errors.Is(err, vigil.ErrOverloaded) {
			t.Errorf("%s on a full queue: %v, want ErrOverloaded", try.name, err)
		}
	}
	release()
	for range max {
		if err := <-results; err != nil {
			t.Errorf("a queued unit: %v", err)
		}
	}
	for i := range max {
		if err := lookupTenant(s, fmt.Sprint("queued", i)); err != nil {
			t.Errorf("queued%d was answered committed but reads %v", i, err)
		}
	}
	if err := lookupTenant(s, "refused"); !errors.Is(err, vigil.ErrNotFound) {
		t.Errorf("the refused unit: %v, want ErrNotFound", err)
	}
}

// TestBatchLargerThanQueue: a batch larger than the whole queue is refused while anything waits,
// and admitted whole into an empty queue.
func TestBatchLargerThanQueue(t *testing.T) {
	s := openLimited(t, Limits{MaxQueue: 2, MaxWait: time.Minute})
	batch := []func(vigil.Tx) error{tenantUnit("b0"), tenantUnit("b1"), tenantUnit("b2")}
	release := holdWriter(t, s)
	queued := make(chan error, 1)
	go func() { queued <- s.Update(context.Background(), tenantUnit("single")) }()
	waitPending(t, s, 1)
	if _, err := s.UpdateAll(context.Background(), batch); !errors.Is(err, vigil.ErrOverloaded) {
		t.Fatalf("a batch of 3 behind a queued unit with a queue of 2: %v, want ErrOverloaded", err)
	}
	release()
	if err := <-queued; err != nil {
		t.Fatal(err)
	}
	errs, err := s.UpdateAll(context.Background(), batch)
	if err != nil {
		t.Fatalf("a batch of 3 into an empty queue of 2: %v", err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("record %d: %v", i, err)
		}
	}
}

// TestGivenUpUnitsNeverRun: a unit its caller gave up on before the writer took it (the wait bound
// passed, or the request's context ended) is answered at once and never runs, even once the writer
// reaches it.
func TestGivenUpUnitsNeverRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"wait bound", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, vigil.ErrOverloaded},
		{"request deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wait := 50 * time.Millisecond
			if tc.want != vigil.ErrOverloaded {
				wait = time.Minute
			}
			s := openLimited(t, Limits{MaxWait: wait})
			release := holdWriter(t, s)
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			if err := s.Update(ctx, tenantUnit("late")); !errors.Is(err, tc.want) {
				t.Fatalf("Update behind a busy writer: %v, want %v", err, tc.want)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("answered after %s", d)
			}
			release()
			// The writer has now passed the abandoned unit: the next unit runs after it.
			if err := s.Update(context.Background(), tenantUnit("next")); err != nil {
				t.Fatal(err)
			}
			if err := lookupTenant(s, "late"); !errors.Is(err, vigil.ErrNotFound) {
				t.Errorf("the abandoned unit: %v, want ErrNotFound (never run)", err)
			}
		})
	}
}

// TestCloseRefusesQueuedUnits: Close waits for the group in progress, not for the queue: units
// still queued are answered ErrOverloaded and never run.
func TestCloseRefusesQueuedUnits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := OpenWith(context.Background(), path, Limits{MaxWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, s)
	results := make(chan error, 3)
	for i := range 3 {
		go func() { results <- s.Update(context.Background(), tenantUnit(fmt.Sprint("queued", i))) }()
	}
	waitPending(t, s, 3)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for !s.closing.Load() {
		time.Sleep(time.Millisecond)
	}
	release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := <-results; !errors.Is(err, vigil.ErrOverloaded) {
			t.Errorf("a unit queued at Close: %v, want ErrOverloaded", err)
		}
	}
	reopened, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	for i := range 3 {
		if err := lookupTenant(reopened, fmt.Sprint("queued", i)); !errors.Is(err, vigil.ErrNotFound) {
			t.Errorf("queued%d: %v, want ErrNotFound (refused at Close)", i, err)
		}
	}
}
