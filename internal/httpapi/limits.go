package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// Defaults of Limits.
const (
	// DefaultMaxInFlight is how many requests are handled at once: far above what the CPUs
	// serve (the benchmarks use 32 connections). Memory is bounded by DefaultMaxBodyInFlight and
	// DefaultMaxBatches.
	DefaultMaxInFlight = 512
	// DefaultMaxBodyInFlight is how many bytes of request bodies (batches aside) are handled at
	// once. A request holds many times its body while it is decoded, checked and written (a
	// 1 MiB body of tiny objects peaked near 70 MiB): 16 MiB of them stays near 1 GiB, while
	// thousands of ordinary events (a few KiB each) fit at once.
	DefaultMaxBodyInFlight = 16 << 20
	// DefaultMaxBatches is how many batch requests are handled at once: one batch of 10,000
	// records may peak at hundreds of MiB, and alone keeps the single writer busy.
	DefaultMaxBatches = 1
	// DefaultBatchWait is how long a batch waits for a turn before it is refused.
	DefaultBatchWait = 5 * time.Second
	// DefaultRequestTimeout bounds a request from its handler's start, reading the body
	// included: a 32 MiB batch on a link of a few MB/s, then its processing.
	DefaultRequestTimeout = 90 * time.Second
)

// Limits bound the work the API takes on at once and how long one request may take: past a
// bound, a request is answered 503 with Retry-After instead of waiting without end.
type Limits struct {
	// MaxInFlight caps the requests handled at once; one more is refused at once. 0 means
	// DefaultMaxInFlight.
	MaxInFlight int
	// MaxBodyInFlight caps the bytes of request bodies (batches aside, see MaxBatches) handled
	// at once: a request counts its Content-Length, or the single-body limit when it declares
	// none, and is refused at once past the cap (a body larger than the cap is taken only when
	// nothing else counts). 0 means DefaultMaxBodyInFlight.
	MaxBodyInFlight int64
	// MaxBatches caps the batch requests handled at once; one more waits up to BatchWait for a
	// turn, then is refused. It is taken before the body is read. 0 means DefaultMaxBatches.
	MaxBatches int
	// BatchWait is how long a batch waits for a turn. 0 means DefaultBatchWait.
	BatchWait time.Duration
	// RequestTimeout is every request's deadline, from the handler's start. 0 means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = DefaultMaxInFlight
	}
	if l.MaxBodyInFlight <= 0 {
		l.MaxBodyInFlight = DefaultMaxBodyInFlight
	}
	if l.MaxBatches <= 0 {
		l.MaxBatches = DefaultMaxBatches
	}
	if l.BatchWait <= 0 {
		l.BatchWait = DefaultBatchWait
	}
	if l.RequestTimeout <= 0 {
		l.RequestTimeout = DefaultRequestTimeout
	}
	return l
}

// limiter enforces Limits. Its semaphores are buffered channels: a request holds one slot.
type limiter struct {
	limits   Limits
	inFlight chan struct{}
	batches  chan struct{}
	// bodyBytes counts the body bytes of the requests in flight (MaxBodyInFlight).
	bodyBytes atomic.Int64
}

func newLimiter(l Limits) *limiter {
	l = l.withDefaults()
	return &limiter{limits: l, inFlight: make(chan struct{}, l.MaxInFlight), batches: make(chan struct{}, l.MaxBatches)}
}

// errBusy is the refusal of a request that found every slot taken.
var errBusy = fmt.Errorf("httpapi: every request slot is taken: %w", vigil.ErrOverloaded)

// refuse answers a request the limits do not admit, before its body is read. Connection: close
// spares the server reading the unread body before it may answer (net/http does so to keep
// the connection), which a client that trickles its body would stretch to the read timeout.
func (a *api) refuse(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	writeError(w, r, a.log, errBusy)
}

// reserveBody counts n more body bytes in flight, or reports that they do not fit.
func (l *limiter) reserveBody(n int64) bool {
	for {
		held := l.bodyBytes.Load()
		if held > 0 && held+n > l.limits.MaxBodyInFlight {
			return false
		}
		if l.bodyBytes.CompareAndSwap(held, held+n) {
			return true
		}
	}
}

// bodyWeight is what a request counts against MaxBodyInFlight: batches count nothing (they
// take batch turns instead), a body of unknown length counts the single-body limit.
func (a *api) bodyWeight(r *http.Request) int64 {
	switch {
	case strings.HasPrefix(r.URL.Path, "/batch/"):
		return 0
	case r.ContentLength >= 0:
		return min(r.ContentLength, a.maxBody)
	}
	return a.maxBody
}

// bound refuses a request over MaxInFlight or MaxBodyInFlight and gives the others their
// deadline.
func (a *api) bound(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case a.limiter.inFlight <- struct{}{}:
		default:
			a.refuse(w, r)
			return
		}
		defer func() { <-a.limiter.inFlight }()
		if weight := a.bodyWeight(r); weight > 0 {
			if !a.limiter.reserveBody(weight) {
				a.refuse(w, r)
				return
			}
			defer a.limiter.bodyBytes.Add(-weight)
		}
		ctx, cancel := context.WithTimeout(r.Context(), a.limiter.limits.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// batchTurn runs a batch handler once one of MaxBatches turns is free, or refuses it after
// BatchWait (or when its deadline comes first).
func (a *api) batchTurn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		wait := time.NewTimer(a.limiter.limits.BatchWait)
		defer wait.Stop()
		select {
		case a.limiter.batches <- struct{}{}:
		case <-wait.C:
			a.refuse(w, r)
			return
		case <-r.Context().Done():
			w.Header().Set("Connection", "close") // as in refuse
			writeError(w, r, a.log, r.Context().Err())
			return
		}
		defer func() { <-a.limiter.batches }()
		h(w, r)
	}
}
