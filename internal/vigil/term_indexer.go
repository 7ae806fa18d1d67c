package vigil

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// TermBatches is a store's side of keeping the term index in batches (both stores do: a write
// records its user's change of terms, and batches apply them): how many users are pending, and
// one unit of them applied.
type TermBatches struct {
	// Pending counts the users whose index rows wait for a batch.
	Pending func(ctx context.Context) (int, error)
	// ApplyUnit applies one unit of the pending users (a store's own bound, in users and index
	// rows) and reports how many it applied and whether more may remain.
	ApplyUnit func(ctx context.Context) (applied int, more bool, err error)
	// Observe, when set, is told how many users were pending at the start of each round: how
	// far the search lags behind the writes (after a bulk import, minutes of work).
	Observe func(pending int)
}

// TermIndexObserver is told, at the start of each round of a store's term indexer, how many
// users wait for it.
type TermIndexObserver interface {
	TermsPending(users int)
}

// TermIndexer is a store's running term indexer (RunTermIndexer): stopped once, observed by
// whoever is set at any time.
type TermIndexer struct {
	stop, stopped chan struct{}
	stopOnce      sync.Once
	observer      atomic.Pointer[termObserverBox]
}

// termObserverBox holds a TermIndexObserver for an atomic.Pointer.
type termObserverBox struct{ TermIndexObserver }

// StartTermIndexer runs b's indexer every interval (never, for a negative one) until Stop; its
// rounds report to the observer set with Observe, in place of b.Observe.
func StartTermIndexer(b TermBatches, interval time.Duration) *TermIndexer {
	x := &TermIndexer{stop: make(chan struct{}), stopped: make(chan struct{})}
	b.Observe = func(pending int) {
		if o := x.observer.Load(); o != nil {
			o.TermsPending(pending)
		}
	}
	go RunTermIndexer(b, interval, x.stop, x.stopped)
	return x
}

// Observe sets who is told, each round, how many users wait for the index (nil: none).
func (x *TermIndexer) Observe(o TermIndexObserver) {
	if o == nil {
		x.observer.Store(nil)
		return
	}
	x.observer.Store(&termObserverBox{o})
}

// Stop stops the indexer and waits for it; what is pending stays pending. Later calls return at
// once.
func (x *TermIndexer) Stop() {
	x.stopOnce.Do(func() {
		close(x.stop)
		<-x.stopped
	})
}

// RunTermIndexer applies b's pending users every interval (never, for a negative one) until
// stop is closed, then closes stopped. A round applies the users pending when it began: the
// ones written during it wait for the next, so that their later writes share its indexing. An
// error ends the round; the rows wait for the next.
func RunTermIndexer(b TermBatches, interval time.Duration, stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	if interval < 0 {
		<-stop
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	ctx := context.Background()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		pending, err := b.Pending(ctx)
		if err != nil {
			continue
		}
		if b.Observe != nil {
			b.Observe(pending)
		}
		for applied := 0; applied < pending; {
			n, more, err := b.ApplyUnit(ctx)
			if err != nil || !more || n <= 0 {
				break
			}
			applied += n
			select {
			case <-stop:
				return
			default:
			}
		}
	}
}
