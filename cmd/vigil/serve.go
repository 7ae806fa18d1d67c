package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/metrics"
	"github.com/vigil-aml/vigil/internal/vigil"
	"github.com/vigil-aml/vigil/internal/webhooks"
)

// shutdownGrace is how long in-flight requests get to finish on SIGINT/SIGTERM.
const shutdownGrace = 15 * time.Second

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	fs := newFlagSet("serve", stderr)
	listen := fs.String("listen", envOr("VIGIL_LISTEN", defaultListen), "address to listen on")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	maxBody := fs.Int64("max-body", httpapi.DefaultMaxBody, "largest single request body in bytes")
	maxBatchBody := fs.Int64("max-batch-body", httpapi.DefaultMaxBatchBody, "largest batch request body in bytes")
	webhookAllow := fs.String("webhook-allow", envOr("VIGIL_WEBHOOK_ALLOW", ""), "comma-separated networks webhooks may connect to (empty: any)")
	webhookDeny := fs.String("webhook-deny", envOr("VIGIL_WEBHOOK_DENY", ""), "comma-separated networks webhooks may not connect to")
	webhookFirstRetry := fs.Duration("webhook-first-retry", 10*time.Second, "delay before the first retry of a failed webhook (doubles each time)")
	userCacheMB := fs.Int64("user-cache-mb", vigil.DefaultUserCacheBytes>>20, "MiB of stored user JSON kept decoded in memory for the next event, about 8 times that in memory (0: none)")
	ruleSettings := ruleFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ruleBudget, ruleLimits := ruleSettings()
	userCacheBytes := *userCacheMB << 20
	if userCacheBytes <= 0 {
		userCacheBytes = -1 // vigil.Options reads 0 as the default
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	tuneGC()
	tuneProcs()
	if path := os.Getenv("VIGIL_CPU_PROFILE"); path != "" {
		// For performance work: a CPU profile of the whole run, written on shutdown.
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}

	store, err := openStore(ctx, *dsn)
	if err != nil {
		return err
	}
	defer store.Close()
	allow, err := parsePrefixes(*webhookAllow)
	if err != nil {
		return fmt.Errorf("--webhook-allow: %w", err)
	}
	deny, err := parsePrefixes(*webhookDeny)
	if err != nil {
		return fmt.Errorf("--webhook-deny: %w", err)
	}
	dispatcher := webhooks.New(store, webhooks.Config{Allow: allow, Deny: deny, FirstRetry: *webhookFirstRetry, Logger: log})
	m := metrics.New()
	svc, err := vigil.NewService(store, vigil.Options{Logger: log, Metrics: m, Wake: dispatcher.Wake, UserCacheBytes: userCacheBytes,
		RuleBudget: ruleBudget, RuleLimits: ruleLimits})
	if err != nil {
		return err
	}
	key, err := svc.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("create the first API key: %w", err)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	if key != "" {
		fmt.Fprintf(stdout, `Created tenant %q and its first API key. It is shown only this once; store it now:

    %s

Send it in the x-api-key header, for example:

    curl -H 'x-api-key: %s' http://%s/consumer/users/some-user-id

Create more keys with: vigil keys create --tenant NAME --db %s
`, vigil.DefaultTenant, key, key, addr, *dsn)
	}
	srv := &http.Server{
		Handler: httpapi.New(svc, httpapi.Options{MaxBody: *maxBody, MaxBatchBody: *maxBatchBody, Logger: log,
			Metrics: m.Handler(), Observe: m.Observe}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	dispatchCtx, stopDispatch := context.WithCancel(context.Background())
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		dispatcher.Run(dispatchCtx)
	}()
	defer func() {
		stopDispatch()
		<-dispatched
	}()
	log.Info("vigil is serving", "addr", addr, "db", *dsn)
	if ready != nil {
		ready <- addr
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// parsePrefixes reads comma-separated networks (CIDRs, or single addresses).
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			addr, err := netip.ParseAddr(item)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
