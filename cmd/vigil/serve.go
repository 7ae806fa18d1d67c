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

	"github.com/vigil-aml/vigil/internal/console"
	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/logging"
	"github.com/vigil-aml/vigil/internal/metrics"
	"github.com/vigil-aml/vigil/internal/vigil"
	"github.com/vigil-aml/vigil/internal/webhooks"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	fs := newFlagSet("serve", stderr)
	listen := fs.String("listen", envOr("VIGIL_LISTEN", defaultListen), "address to listen on")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	maxBody := fs.Int64("max-body", httpapi.DefaultMaxBody, "largest single request body in bytes")
	maxBatchBody := fs.Int64("max-batch-body", httpapi.DefaultMaxBatchBody, "largest batch request body in bytes")
	webhookAllow := fs.String("webhook-allow", envOr("VIGIL_WEBHOOK_ALLOW", ""), "comma-separated networks webhooks may connect to though built in as denied (loopback, private, link-local, metadata...), e.g. 127.0.0.1/32")
	webhookDeny := fs.String("webhook-deny", envOr("VIGIL_WEBHOOK_DENY", ""), "comma-separated networks webhooks may not connect to (the most specific range decides)")
	webhookMaxEndpoints := maxEndpointsFlag(fs)
	webhookFirstRetry := fs.Duration("webhook-first-retry", 10*time.Second, "delay before the first retry of a failed webhook (doubles each time)")
	secretKeyFile := fs.String("secret-key-file", "", "file holding the 32-byte key (hex or base64) that encrypts webhook secrets at rest (or VIGIL_SECRET_KEY_FILE, VIGIL_SECRET_KEY)")
	logFormat := fs.String("log-format", envOr("VIGIL_LOG_FORMAT", "text"), "log format: text or json")
	logLevel := fs.String("log-level", envOr("VIGIL_LOG_LEVEL", "info"), "least level logged: debug, info (an access log line per request), warn or error")
	retainDays := fs.Int("retain-history", 0, "days of history to keep: older history is folded away and older events refused (0: forever; docs/erasure.md)")
	consoleOn := fs.Bool("console", true, "serve the analyst console at /console/ (docs/console.md)")
	userCacheMB := fs.Int64("user-cache-mb", vigil.DefaultUserCacheBytes>>20, "MiB of stored user JSON kept decoded in memory for the next event, about 8 times that in memory (0: none)")
	tenantRPS := fs.Float64("tenant-rps", 0, "requests/s a tenant without its own limit may send (0: no limit)")
	tenantBurst := fs.Int("tenant-burst", 0, "requests such a tenant may send at once (0: one second's worth)")
	limits := addLimitFlags(fs)
	ruleSettings := ruleFlags(fs)
	listsRefresh := listsRefreshFlag(fs)
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	if err := validNice("writer-nice", limits.sqlite.WriterNice); err != nil {
		return err
	}
	if *retainDays < 0 {
		return fmt.Errorf("--retain-history: %d is not a number of days (0: keep everything)", *retainDays)
	}
	ruleBudget, ruleLimits := ruleSettings()
	userCacheBytes := *userCacheMB << 20
	if userCacheBytes <= 0 {
		userCacheBytes = -1 // vigil.Options reads 0 as the default
	}
	log, err := logging.New(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	tuneGC(userCacheBytes)
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

	keys, err := secretKeys(*secretKeyFile)
	if err != nil {
		return err
	}
	m := metrics.New()
	store, err := openStore(ctx, *dsn, storeConfig{keys: keys, sqlite: limits.sqlite, pg: limits.postgres, observeWriter: m, observeTerms: m, log: log})
	if err != nil {
		return err
	}
	var stopBy time.Time // set on shutdown: closing finishes by then or is abandoned
	defer func() { finishBy(stopBy, log, "the store to close", func() { store.Close() }) }()
	if keys == nil {
		log.Warn("no secret key is configured: webhook signing secrets are stored unencrypted; see docs/webhooks.md (--secret-key-file)")
	}
	allow, err := parsePrefixes(*webhookAllow)
	if err != nil {
		return fmt.Errorf("--webhook-allow: %w", err)
	}
	deny, err := parsePrefixes(*webhookDeny)
	if err != nil {
		return fmt.Errorf("--webhook-deny: %w", err)
	}
	maxEndpoints, err := webhookMaxEndpoints()
	if err != nil {
		return err
	}
	dispatcher := webhooks.New(store, webhooks.Config{Allow: allow, Deny: deny, FirstRetry: *webhookFirstRetry, Logger: log})
	svc, err := vigil.NewService(store, vigil.Options{Logger: log, Metrics: m, Wake: dispatcher.Wake, UserCacheBytes: userCacheBytes,
		MaxWebhookEndpoints: maxEndpoints, RuleBudget: ruleBudget, RuleLimits: ruleLimits,
		RetainHistory: time.Duration(*retainDays) * 24 * time.Hour})
	if err != nil {
		return err
	}
	limiter, stopLimits, err := startRateLimits(ctx, svc, *tenantRPS, *tenantBurst, log)
	if err != nil {
		return err
	}
	defer stopLimits()
	stopLists, err := startLists(ctx, svc, log)
	if err != nil {
		return err
	}
	defer stopLists()
	if len(*listsRefresh) > 0 {
		defer startListRefresh(svc, *listsRefresh, log)()
	}
	// Bind before the first key exists: a start that cannot serve must not create a key it
	// never shows (the next start would find one and print none).
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	addr := ln.Addr().String()
	if err := announceKey(ctx, svc, stdout, addr, logging.RedactDSN(*dsn)); err != nil {
		return err
	}
	srv, conns := limits.server(httpapi.New(svc, httpapi.Options{MaxBody: *maxBody, MaxBatchBody: *maxBatchBody, Logger: log,
		Metrics: m.Handler(), Observe: m.Observe, Limits: limits.api, RateLimiter: limiter, Mount: consoleMount(*consoleOn, svc, log)}), log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(conns.Listener(ln)) }()
	dispatchCtx, stopDispatch := context.WithCancel(context.Background())
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		dispatcher.Run(dispatchCtx)
	}()
	indexed := make(chan struct{})
	go func() { // users written before search existed get their search terms (GET /users)
		defer close(indexed)
		if n, err := svc.IndexUsers(dispatchCtx); err != nil && dispatchCtx.Err() == nil {
			log.Error("indexing users for search failed; the next start tries again", "err", err)
		} else if n > 0 {
			log.Info("indexed users for search", "users", n)
		}
	}()
	defer func() {
		finishBy(stopBy, log, "the webhook dispatcher to stop", func() {
			stopDispatch()
			<-dispatched
			<-indexed
		})
	}()
	// The audit sealer runs in every process (see docs/audit.md); it seals once more on the way
	// out, after the server stopped taking writes.
	sealCtx, stopSealing := context.WithCancel(context.Background())
	sealed := make(chan struct{})
	go func() {
		defer close(sealed)
		svc.RunSealer(sealCtx, vigil.SealInterval)
	}()
	defer func() {
		stopSealing()
		<-sealed
	}()
	if *retainDays > 0 {
		pruneCtx, stopPruning := context.WithCancel(context.Background())
		pruned := make(chan struct{})
		go func() {
			defer close(pruned)
			runRetention(pruneCtx, svc, time.Duration(*retainDays)*24*time.Hour, log)
		}()
		defer func() {
			stopPruning()
			<-pruned
		}()
	}
	log.Info("vigil is serving", "addr", addr, "db", logging.RedactDSN(*dsn))
	if ready != nil {
		ready <- addr
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	stopBy = time.Now().Add(stopBudget)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown: requests still running after the grace period; closing their connections", "err", err)
		srv.Close()
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

// consoleMount is the analyst console under /console/ beside the API, when on.
func consoleMount(on bool, svc *vigil.Service, log *slog.Logger) map[string]http.Handler {
	if !on {
		return nil
	}
	return map[string]http.Handler{console.Prefix: console.New(svc, console.Options{Logger: log})}
}
