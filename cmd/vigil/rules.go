package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// rulesCommand runs `vigil rules apply|library`.
func rulesCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("use: vigil rules apply --tenant NAME --file rules.yaml [--db DSN], or vigil rules library")
	}
	switch args[0] {
	case "library":
		_, err := stdout.Write(rules.LibraryDocument())
		return err
	case "apply":
		fs := newFlagSet("rules apply", stderr)
		tenant := fs.String("tenant", "", "tenant name")
		file := fs.String("file", "", "rules file (YAML or JSON): a list, or {rules: [...]}")
		dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *tenant == "" || *file == "" {
			return errors.New("--tenant and --file are required")
		}
		doc, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		store, err := openStore(ctx, *dsn)
		if err != nil {
			return err
		}
		defer store.Close()
		svc, err := vigil.NewService(store, vigil.Options{})
		if err != nil {
			return err
		}
		n, err := svc.ApplyRulesByName(ctx, *tenant, doc)
		if err != nil {
			var ve *vigil.Error
			if errors.As(err, &ve) && len(ve.Problems) > 0 {
				return fmt.Errorf("%s:\n  %s", *file, ve.ValidationErrors())
			}
			return err
		}
		fmt.Fprintf(stdout, "%d rules from %s applied to tenant %q.\n", n, *file, *tenant)
		return nil
	}
	return fmt.Errorf("unknown rules command %q", args[0])
}
