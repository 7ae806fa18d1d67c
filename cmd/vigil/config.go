package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

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

// openStore picks the store implementation from the DSN's scheme.
func openStore(ctx context.Context, dsn string) (vigil.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		return sqlite.Open(ctx, path)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres.Open(ctx, dsn)
	}
	return nil, fmt.Errorf("unsupported database DSN %q: use sqlite:PATH or postgres://USER@HOST:PORT/DB", dsn)
}

// withService opens the store a DSN names, runs fn with a service on it and closes the store:
// the frame of every command but serve.
func withService(ctx context.Context, dsn string, fn func(*vigil.Service) error) error {
	store, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer store.Close()
	svc, err := vigil.NewService(store, vigil.Options{RuleLimits: ruleLimitsFromEnv()})
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tenant == "" || *file == "" {
		return errors.New("--tenant and --file are required")
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
