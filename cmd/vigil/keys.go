package main

import (
	"context"
	"fmt"
	"io"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// createKey creates a tenant (if needed) and a new key, printing the key alone on the last line.
func createKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys create", stderr)
	tenant := fs.String("tenant", "", "tenant name (created if it does not exist)")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := parseArgs(fs, args, 0, "tenant"); err != nil {
		return err
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		key, err := svc.CreateKey(ctx, *tenant)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API key for tenant %q (shown only once):\n%s\n", *tenant, key)
		return nil
	})
}
