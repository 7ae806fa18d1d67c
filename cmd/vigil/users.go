package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// usersCommand runs `vigil users erase`.
func usersCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const use = "use: vigil users erase --tenant NAME --kind consumer|business [--db DSN] USER_ID"
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(stdout, use)
		return nil
	}
	if len(args) == 0 || args[0] != "erase" {
		return fmt.Errorf("unknown users command; %s", use)
	}
	fs := newFlagSet("users erase", stderr)
	tenant := fs.String("tenant", "", "tenant name")
	kindName := fs.String("kind", "", "consumer or business")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := parseArgs(fs, args[1:], 1, "tenant", "kind"); err != nil {
		return err
	}
	kinds := map[string]vigil.Kind{"consumer": vigil.Consumer, "business": vigil.Business}
	kind, ok := kinds[*kindName]
	switch {
	case !ok:
		return errors.New("users erase: --kind must be consumer or business")
	case fs.NArg() != 1:
		return fmt.Errorf("users erase: name one user; %s", use)
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		t, err := svc.TenantByName(ctx, *tenant)
		if err != nil {
			return err
		}
		if _, err := svc.EraseUser(ctx, t, kind, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s user %q of tenant %q erased; a tombstone of its id stays\n", *kindName, fs.Arg(0), *tenant)
		return nil
	})
}
