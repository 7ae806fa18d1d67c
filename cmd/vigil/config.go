package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/vigil-aml/vigil/internal/logging"
	"github.com/vigil-aml/vigil/internal/postgres"
	"github.com/vigil-aml/vigil/internal/sqlite"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// Defaults of the serve command.
const (
	defaultListen = "127.0.0.1:8080"
	defaultDB     = "sqlite:vigil.db"
)

// envOr returns the environment variable name, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// storeConfig is how a command opens its store: the keys sealing secrets at rest (nil: none,
// see secretKeys), each store's limits, for SQLite who observes its writer, who observes the
// term indexer (nil: none), and where to say what the store could not set up as asked (nil:
// nowhere).
type storeConfig struct {
	keys          *vigil.SecretKeys
	sqlite        sqlite.Limits
	pg            postgres.Limits
	observeWriter sqlite.WriterObserver
	observeTerms  vigil.TermIndexObserver
	log           *slog.Logger
}

// openStore picks the store implementation from the DSN's scheme and, with keys, seals webhook
// secrets at rest with them.
func openStore(ctx context.Context, dsn string, cfg storeConfig) (vigil.Store, error) {
	var store vigil.Store
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		var lite *sqlite.Store
		if lite, err = sqlite.OpenWith(ctx, path, cfg.sqlite); err == nil {
			lite.ObserveWriter(cfg.observeWriter)
			lite.ObserveTerms(cfg.observeTerms)
			if err := lite.WriterPriority(); err != nil && cfg.log != nil {
				cfg.log.Info("the SQLite writer runs at the process's priority: --writer-nice was not applied", "nice", cfg.sqlite.WriterNice, "reason", err)
			}
			store = lite
		}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		var pg *postgres.Store
		if pg, err = postgres.OpenWith(ctx, dsn, cfg.pg); err == nil {
			pg.ObserveTerms(cfg.observeTerms)
			store = pg
		}
	default:
		return nil, fmt.Errorf("unsupported database DSN %q: use sqlite:PATH or postgres://USER@HOST:PORT/DB", logging.RedactDSN(dsn))
	}
	if err != nil || cfg.keys == nil {
		return store, err
	}
	return vigil.WithSecretKeys(store, cfg.keys), nil
}

// secretKeys reads the key that seals secrets at rest: the file keyFile names (or
// VIGIL_SECRET_KEY_FILE), else VIGIL_SECRET_KEY; VIGIL_PREVIOUS_SECRET_KEYS (comma-separated)
// are older keys that still open what they sealed. nil when none is configured.
func secretKeys(keyFile string) (*vigil.SecretKeys, error) {
	keyFile = cmp.Or(keyFile, os.Getenv("VIGIL_SECRET_KEY_FILE"))
	current := os.Getenv("VIGIL_SECRET_KEY")
	if keyFile != "" {
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("secret key file: %w", err)
		}
		current = string(data)
	}
	if strings.TrimSpace(current) == "" {
		return nil, nil
	}
	var previous []string
	for _, k := range strings.Split(os.Getenv("VIGIL_PREVIOUS_SECRET_KEYS"), ",") {
		if strings.TrimSpace(k) != "" {
			previous = append(previous, k)
		}
	}
	keys, err := vigil.NewSecretKeys(current, previous...)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return keys, nil
}

// withService opens the store a DSN names, runs fn with a service on it and closes the store:
// the frame of every command but serve.
func withService(ctx context.Context, dsn string, fn func(*vigil.Service) error) error {
	return withServiceOptions(ctx, dsn, vigil.Options{}, fn)
}

// withServiceOptions is withService with options.
func withServiceOptions(ctx context.Context, dsn string, opts vigil.Options, fn func(*vigil.Service) error) error {
	keys, err := secretKeys("")
	if err != nil {
		return err
	}
	store, err := openStore(ctx, dsn, storeConfig{keys: keys})
	if err != nil {
		return err
	}
	defer store.Close()
	opts.RuleLimits = ruleLimitsFromEnv()
	svc, err := vigil.NewService(store, opts)
	if err != nil {
		return err
	}
	return fn(svc)
}

// applyFile runs `vigil <what> apply --tenant NAME --file F [--db DSN]`: it reads the file and
// hands it to apply, reporting every validation problem under the file's name.
func applyFile(ctx context.Context, what string, args []string, stdout, stderr io.Writer,
	apply func(svc *vigil.Service, tenant string, doc []byte) (string, error)) error {
	fs := newFlagSet(what+" apply", stderr)
	tenant := fs.String("tenant", "", "tenant name")
	file := fs.String("file", "", what+" file (YAML or JSON)")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := parseArgs(fs, args, 0, "tenant", "file"); err != nil {
		return err
	}
	doc, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		done, err := apply(svc, *tenant, doc)
		var ve *vigil.Error
		if errors.As(err, &ve) && len(ve.Problems) > 0 {
			return fmt.Errorf("%s:\n  %s", *file, ve.ValidationErrors())
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s from %s applied to tenant %q%s\n", what, *file, *tenant, done)
		return nil
	})
}
