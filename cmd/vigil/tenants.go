package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/vigil"
)

const tenantsUsage = `use: vigil tenants limit --tenant NAME --rps N [--burst M] [--db DSN]   set its own rate limit (--rps 0: none)
     vigil tenants limit --tenant NAME --clear [--db DSN]                    back to serve's --tenant-rps
     vigil tenants limit --tenant NAME [--db DSN]                            show its own limit`

// rateLimitRefresh is how often a server reads the tenants' limits again: a change made by the
// command line, in any process, applies within this time.
const rateLimitRefresh = 2 * time.Second

// tenantsCommand runs `vigil tenants limit`.
func tenantsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "limit" {
		return errors.New(tenantsUsage)
	}
	fs := newFlagSet("tenants limit", stderr)
	tenant := fs.String("tenant", "", "tenant name")
	rps := fs.Float64("rps", 0, "requests per second the tenant may send (0: no limit, not even the server's default)")
	burst := fs.Int("burst", 0, "requests the tenant may send at once (0: one second's worth)")
	clear := fs.Bool("clear", false, "remove the tenant's own limit: the server's default applies")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *tenant == "":
		return errors.New("--tenant is required\n" + tenantsUsage)
	case *clear && (set["rps"] || set["burst"]):
		return errors.New("--clear takes no --rps or --burst\n" + tenantsUsage)
	case set["burst"] && !set["rps"]:
		return errors.New("--burst needs --rps\n" + tenantsUsage)
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		switch {
		case *clear:
			if err := svc.ClearRateLimit(ctx, *tenant); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Tenant %q has no rate limit of its own: the server's default (--tenant-rps) applies.\n", *tenant)
		case set["rps"]:
			l, err := svc.SetRateLimit(ctx, *tenant, *rps, *burst)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Tenant %q: %s; running servers apply it within %s.\n", *tenant, l, 2*rateLimitRefresh)
		default:
			t, err := svc.TenantByName(ctx, *tenant)
			if err != nil {
				return err
			}
			limits, err := svc.RateLimits(ctx)
			if err != nil {
				return err
			}
			if l, ok := limits[t.ID]; ok {
				fmt.Fprintf(stdout, "Tenant %q: %s.\n", *tenant, l)
			} else {
				fmt.Fprintf(stdout, "Tenant %q has no rate limit of its own: the server's default (--tenant-rps) applies.\n", *tenant)
			}
		}
		return nil
	})
}

// startRateLimits reads the tenants' limits and keeps reading them every rateLimitRefresh until
// the returned stop is called.
func startRateLimits(ctx context.Context, svc *vigil.Service, rps float64, burst int, log *slog.Logger) (*httpapi.RateLimiter, func(), error) {
	if err := vigil.CheckRateLimit(rps, burst); err != nil {
		return nil, nil, fmt.Errorf("--tenant-rps, --tenant-burst: %w", err)
	}
	limiter := httpapi.NewRateLimiter(svc.RateLimits, httpapi.RateLimiterOptions{
		Default: vigil.RateLimit{RPS: rps, Burst: burst}, Logger: log})
	if err := limiter.Refresh(ctx); err != nil {
		return nil, nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		limiter.Run(runCtx, rateLimitRefresh)
	}()
	return limiter, func() { cancel(); <-done }, nil
}
