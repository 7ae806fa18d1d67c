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
	if len(args) == 0 {
		return errors.New("use: vigil risk apply --tenant NAME --file model.yaml [--db DSN], or vigil risk default")
	}
	switch args[0] {
	case "default":
		_, err := stdout.Write(risk.DefaultDocument())
		return err
	case "apply":
		return applyFile(ctx, "Risk model", args[1:], stdout, stderr, func(svc *vigil.Service, tenant string, doc []byte) (string, error) {
			return "; each user is rescored on its next write.", svc.PutRiskModelByName(ctx, tenant, doc)
		})
	}
	return fmt.Errorf("unknown risk command %q", args[0])
}
