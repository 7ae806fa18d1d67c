package sqlite

import (
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// Defaults of Limits.
const (
	// DefaultMaxQueue holds a full batch and as much again from other requests; each queued
	// unit is a prepared write of a few KiB.
	DefaultMaxQueue = 2 * vigil.MaxBatchRecords
	// DefaultMaxWait is far above the writer's usual wait (milliseconds) and well inside a
	// client's patience.
	DefaultMaxWait = 5 * time.Second
)

// Limits bound the single writer's queue, so that overload is refused (vigil.ErrOverloaded)
// instead of queued without end.
type Limits struct {
	// MaxQueue is how many units may wait for the writer; an Update or UpdateAll that would
	// exceed it is refused at once. 0 means DefaultMaxQueue.
	MaxQueue int
	// MaxWait is how long an Update waits for the writer to take its unit before giving up on
	// it. 0 means DefaultMaxWait.
	MaxWait time.Duration
	// WriterNice is the nice value (-20 to 19) the writer's thread asks for, on Linux. Every
	// write waits for that one thread, so on a machine whose CPUs are busy it should run before
	// the requests that queue for it (BENCHMARKS.md has what it changed). 0 leaves it at the
	// process's. A value below the process's needs CAP_SYS_NICE or an RLIMIT_NICE that allows
	// it; without them the writer keeps the process's priority and Store.WriterPriority says
	// why.
	WriterNice int
	// TermsInterval is how often the store applies pending changes of the term index
	// (terms.go). 0 means every 2 s; a negative one never (searches still apply them first).
	TermsInterval time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.TermsInterval == 0 {
		l.TermsInterval = termsInterval
	}
	if l.MaxQueue <= 0 {
		l.MaxQueue = DefaultMaxQueue
	}
	if l.MaxWait <= 0 {
		l.MaxWait = DefaultMaxWait
	}
	return l
}
