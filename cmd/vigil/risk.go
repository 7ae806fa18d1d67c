package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// riskCommand runs `vigil risk apply|default`.
func riskCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const use = "use: vigil risk apply --tenant NAME --file model.yaml [--db DSN], or vigil risk default"
	if len(args) == 0 {
		return errors.New(use)
	}
	switch {
	case isHelp(args[0]):
		fmt.Fprintln(stdout, use)
		return nil
	case args[0] == "default":
		if err := parseArgs(newFlagSet("risk default", stderr), args[1:], 0); err != nil {
			return err
		}
		_, err := stdout.Write(risk.DefaultDocument())
		return err
	case args[0] == "apply":
		return applyFile(ctx, "Risk model", args[1:], stdout, stderr, func(svc *vigil.Service, tenant string, doc []byte) (string, error) {
			return "; each user is rescored on its next write.", svc.PutRiskModelByName(ctx, tenant, doc)
		})
	}
	return fmt.Errorf("unknown risk command %q\n%s", args[0], use)
}
