package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// Defaults of Limits.
const (
	// DefaultAcquireTimeout is far above a healthy pool's wait (a transaction's length).
	DefaultAcquireTimeout = 5 * time.Second
	// DefaultStatementTimeout is far above any of Vigil's statements (milliseconds): one that
	// runs this long is stuck behind a lock or an overloaded server.
	DefaultStatementTimeout = 30 * time.Second
)

// Limits bound the waits of a write on PostgreSQL, so that overload is refused
// (vigil.ErrOverloaded) instead of queued without end.
type Limits struct {
	// AcquireTimeout is how long a write waits for a connection of the pool. 0 means
	// DefaultAcquireTimeout.
	AcquireTimeout time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout on every connection, unless the DSN
	// sets one. 0 means DefaultStatementTimeout.
	StatementTimeout time.Duration
	// TermsInterval is how often the process applies pending changes of the term index
	// (terms.go). 0 means every 2 s; a negative one never (searches still apply them first).
	TermsInterval time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.TermsInterval == 0 {
		l.TermsInterval = termsInterval
	}
	if l.AcquireTimeout <= 0 {
		l.AcquireTimeout = DefaultAcquireTimeout
	}
	if l.StatementTimeout <= 0 {
		l.StatementTimeout = DefaultStatementTimeout
	}
	return l
}

// sessionDefaults are settings of every connection of the pool that the DSN does not set
// itself. Vigil's statements each read a few index pages, but PostgreSQL estimates some far too
// large (a search of two common filters: a merge join it thinks finds 3 rows in 300,000), and
// above its cost thresholds it compiles the query with JIT (37 ms) and starts parallel workers
// (170 ms) to run 10 ms of work: 150-230 ms per search at 1,000,000 users, 0.6-8.6 ms without
// (BENCHMARKS.md, issue 22).
var sessionDefaults = map[string]string{
	"jit":                             "off",
	"max_parallel_workers_per_gather": "0",
}

// apply sets the statement timeout and sessionDefaults on the pool's connections, unless the
// DSN chose them.
func (l Limits) apply(cfg *pgxpool.Config) {
	params := cfg.ConnConfig.RuntimeParams
	if _, set := params["statement_timeout"]; !set {
		params["statement_timeout"] = strconv.FormatInt(l.StatementTimeout.Milliseconds(), 10)
	}
	for name, value := range sessionDefaults {
		if _, set := params[name]; !set {
			params[name] = value
		}
	}
}

// errAcquireTimeout is the cause of an acquire that ran out of AcquireTimeout.
var errAcquireTimeout = errors.New("postgres: no connection free")

// acquire takes a connection of the pool, waiting at most AcquireTimeout.
func (s *Store) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeoutCause(ctx, s.limits.AcquireTimeout, errAcquireTimeout)
	defer cancel()
	c, err := s.pool.Acquire(actx)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), errAcquireTimeout) {
		return nil, fmt.Errorf("postgres: no connection of the pool free within %s: %w", s.limits.AcquireTimeout, vigil.ErrOverloaded)
	}
	return c, err
}
