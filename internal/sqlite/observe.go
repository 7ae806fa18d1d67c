package sqlite

import "time"

// WriterObserver is told how the single writer spends its time: every write waits for the
// writer, so a slow group or a WAL wrap is what a latency tail is made of (BENCHMARKS.md, "Where
// a steady tail comes from"). Its methods run on the writer: they must return at once.
type WriterObserver interface {
	// WriterGroup reports a group of units run in one transaction: how many units, and how long
	// it held the writer, its commit included.
	WriterGroup(units int, held time.Duration)
	// WALWrapped reports the writer's own checkpoint before the WAL starts over, which every
	// write waits for.
	WALWrapped(paused time.Duration)
}

// observerBox holds a WriterObserver for an atomic.Pointer.
type observerBox struct{ WriterObserver }

// ObserveWriter sets the observer of the writer's groups and WAL wraps (nil: none). It may be
// called while the store is in use.
func (s *Store) ObserveWriter(o WriterObserver) {
	if o == nil {
		s.observer.Store(nil)
		return
	}
	s.observer.Store(&observerBox{o})
}
