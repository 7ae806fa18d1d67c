package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// riskCommand runs `vigil risk apply|default`.
func riskCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("use: vigil risk apply --tenant NAME --file model.yaml [--db DSN], or vigil risk default")
	}
	switch args[0] {
	case "default":
		_, err := stdout.Write(risk.DefaultDocument())
		return err
	case "apply":
		fs := newFlagSet("risk apply", stderr)
		tenant := fs.String("tenant", "", "tenant name")
		file := fs.String("file", "", "risk model file (YAML or JSON)")
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
		if err := svc.PutRiskModelByName(ctx, *tenant, doc); err != nil {
			var ve *vigil.Error
			if errors.As(err, &ve) && len(ve.Problems) > 1 {
				return fmt.Errorf("%s:\n  %s", *file, ve.ValidationErrors())
			}
			return err
		}
		fmt.Fprintf(stdout, "Risk model from %s applied to tenant %q; each user is rescored on its next write.\n", *file, *tenant)
		return nil
	}
	return fmt.Errorf("unknown risk command %q", args[0])
}
