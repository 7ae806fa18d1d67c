package main

import (
	"context"
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
