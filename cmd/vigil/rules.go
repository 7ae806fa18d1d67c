package main

import (
	"context"
	"errors"
	"fmt"
	"io"

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
		return applyFile(ctx, "Rules", args[1:], stdout, stderr, func(svc *vigil.Service, tenant string, doc []byte) (string, error) {
			n, err := svc.ApplyRulesByName(ctx, tenant, doc)
			return fmt.Sprintf(": %d rules created or replaced.", n), err
		})
	}
	return fmt.Errorf("unknown rules command %q", args[0])
}
