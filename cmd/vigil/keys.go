package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// keysCommand runs `vigil keys create|list|revoke`.
func keysCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const use = "use: vigil keys create|list|revoke (see vigil keys create --help)"
	if len(args) == 0 {
		return fmt.Errorf("missing keys command; %s", use)
	}
	if isHelp(args[0]) {
		fmt.Fprintln(stdout, use)
		return nil
	}
	switch args[0] {
	case "create":
		return createKey(ctx, args[1:], stdout, stderr)
	case "list":
		return listKeys(ctx, args[1:], stdout, stderr)
	case "revoke":
		return revokeKey(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown keys command %q; %s", args[0], use)
}

// createKey creates a tenant (if needed) and a new key, printing the key alone on the last line.
func createKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys create", stderr)
	tenant := fs.String("tenant", "", "tenant name (created if it does not exist)")
	name := fs.String("name", "", "a label for the key, shown by keys list")
	scopeList := fs.String("scopes", "read,write,admin", "comma-separated scopes: read, write, admin")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := parseArgs(fs, args, 0, "tenant"); err != nil {
		return err
	}
	scopes, err := vigil.ParseScopes(*scopeList)
	if err != nil {
		return fmt.Errorf("--scopes: %w", err)
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		k, err := svc.CreateScopedKey(ctx, *tenant, *name, scopes)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API key %s for tenant %q with scopes %s (shown only once):\n%s\n",
			k.Key.ID, *tenant, vigil.JoinScopes(k.Key.Scopes), k.Secret)
		return nil
	})
}

// listKeys prints a tenant's keys: id, name, scopes, created and last used; never a secret.
func listKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys list", stderr)
	tenant := fs.String("tenant", "", "tenant name")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := parseArgs(fs, args, 0, "tenant"); err != nil {
		return err
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		t, err := svc.TenantByName(ctx, *tenant)
		if err != nil {
			return err
		}
		keys, err := svc.Keys(ctx, t)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tLAST USED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, orDash(k.Name), vigil.JoinScopes(k.Scopes),
				when(k.CreatedAt), when(k.LastUsedAt), when(k.RevokedAt))
		}
		return tw.Flush()
	})
}

// revokeKey revokes a key named by its id or by the key itself.
func revokeKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys revoke", stderr)
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := parseArgs(fs, args, 1); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("keys revoke: name one key: vigil keys revoke [--db DSN] ID_OR_KEY")
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		k, err := svc.RevokeKey(ctx, "", fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API key %s revoked; running servers refuse it within seconds\n", k.ID)
		return nil
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// when shows an epoch-ms time in UTC, or "-" for never.
func when(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}
