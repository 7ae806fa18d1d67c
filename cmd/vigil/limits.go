package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/postgres"
	"github.com/vigil-aml/vigil/internal/sqlite"
)

// Shutdown of `vigil serve` on SIGINT/SIGTERM: in-flight requests get shutdownGrace, then their
// connections are closed (their contexts end, so their units still queued are abandoned); the
// webhook dispatcher and the store get what is left of stopBudget, and are abandoned past it:
// a unit commits whole or not at all, and none was acknowledged before its commit.
const (
	shutdownGrace = 15 * time.Second
	stopBudget    = 19 * time.Second
)

// defaultWriterNice puts SQLite's writer ahead of the requests that wait for it when the CPUs
// are busy: at the maximum load of BENCHMARKS.md it ran more, smaller groups and served more
// events a second, with shorter tails at half of it. -10 weighs the thread about nine times a
// default one in the kernel's scheduler.
const defaultWriterNice = -10

// validNice says what is wrong with the nice value of the flag named name, if anything.
func validNice(name string, n int) error {
	if n < -20 || n > 19 {
		return fmt.Errorf("--%s: %d is not a nice value (-20 to 19)", name, n)
	}
	return nil
}

// serveLimits are the flags of `vigil serve` that bound what a client can make it hold or wait
// for (docs/security.md lists them).
type serveLimits struct {
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout time.Duration
	maxHeaderBytes, maxConns                                  int
	api                                                       httpapi.Limits
	sqlite                                                    sqlite.Limits
	postgres                                                  postgres.Limits
}

func addLimitFlags(fs *flag.FlagSet) *serveLimits {
	l := &serveLimits{}
	fs.DurationVar(&l.readHeaderTimeout, "read-header-timeout", 10*time.Second, "longest time to read a request's headers (slow clients are disconnected)")
	fs.DurationVar(&l.readTimeout, "read-timeout", 60*time.Second, "longest time to read a whole request, body included (32 MiB at about 0.5 MiB/s)")
	fs.DurationVar(&l.writeTimeout, "write-timeout", 120*time.Second, "longest time from a request's headers to the end of its answer (above --request-timeout)")
	fs.DurationVar(&l.idleTimeout, "idle-timeout", 60*time.Second, "longest time a keep-alive connection may wait for its next request")
	fs.IntVar(&l.maxHeaderBytes, "max-header-bytes", 64<<10, "largest request line and headers in bytes")
	fs.IntVar(&l.maxConns, "max-conns", httpapi.DefaultMaxConns, "most open connections; at the cap the longest-idle one is closed, or the new one is answered 503")
	fs.IntVar(&l.api.MaxInFlight, "max-in-flight", httpapi.DefaultMaxInFlight, "most requests handled at once; more are answered 503")
	fs.Int64Var(&l.api.MaxBodyInFlight, "max-body-in-flight", httpapi.DefaultMaxBodyInFlight, "most bytes of request bodies (batches aside) handled at once; more are answered 503")
	fs.IntVar(&l.api.MaxBatches, "max-batches", httpapi.DefaultMaxBatches, "most batch requests handled at once")
	fs.DurationVar(&l.api.BatchWait, "batch-wait", httpapi.DefaultBatchWait, "longest wait of a batch for its turn before it is answered 503")
	fs.DurationVar(&l.api.RequestTimeout, "request-timeout", httpapi.DefaultRequestTimeout, "deadline of a request from its handler's start, body included; past it the answer is 503")
	fs.IntVar(&l.sqlite.MaxQueue, "write-queue", sqlite.DefaultMaxQueue, "SQLite: most writes waiting for the writer; more are answered 503")
	fs.DurationVar(&l.sqlite.MaxWait, "write-wait", sqlite.DefaultMaxWait, "SQLite: longest wait of a write for the writer before it is answered 503")
	fs.IntVar(&l.sqlite.WriterNice, "writer-nice", defaultWriterNice, "SQLite: nice value of the single writer's thread, which every write waits for (Linux, -20 to 19; 0: the process's; below it needs CAP_SYS_NICE or RLIMIT_NICE)")
	fs.DurationVar(&l.postgres.AcquireTimeout, "pg-acquire-timeout", postgres.DefaultAcquireTimeout, "PostgreSQL: longest wait of a write for a pooled connection before it is answered 503")
	fs.DurationVar(&l.postgres.StatementTimeout, "pg-statement-timeout", postgres.DefaultStatementTimeout, "PostgreSQL: statement_timeout of every connection (unless the DSN sets one)")
	return l
}

// server returns the HTTP server for handler, with its timeouts, header limit and connection
// cap; serve it on limiter.Listener(ln).
func (l *serveLimits) server(handler http.Handler, log *slog.Logger) (*http.Server, *httpapi.ConnLimiter) {
	conns := httpapi.NewConnLimiter(l.maxConns)
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: l.readHeaderTimeout,
		ReadTimeout:       l.readTimeout,
		WriteTimeout:      l.writeTimeout,
		IdleTimeout:       l.idleTimeout,
		MaxHeaderBytes:    l.maxHeaderBytes,
		ConnState:         conns.ConnState,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}, conns
}

// finishBy runs fn, waiting for it until deadline at most (without a deadline, until it ends).
func finishBy(deadline time.Time, log *slog.Logger, what string, fn func()) {
	if deadline.IsZero() {
		fn()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		log.Warn("shutdown: gave up waiting", "for", what)
	}
}
