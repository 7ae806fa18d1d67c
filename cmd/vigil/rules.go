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
	const use = "use: vigil rules apply --tenant NAME --file rules.yaml [--db DSN], or vigil rules library"
	if len(args) == 0 {
		return errors.New(use)
	}
	switch {
	case isHelp(args[0]):
		fmt.Fprintln(stdout, use)
		return nil
	case args[0] == "library":
		if err := parseArgs(newFlagSet("rules library", stderr), args[1:], 0); err != nil {
			return err
		}
		_, err := stdout.Write(rules.LibraryDocument())
		return err
	case args[0] == "apply":
		return applyFile(ctx, "Rules", args[1:], stdout, stderr, func(svc *vigil.Service, tenant string, doc []byte) (string, error) {
			n, err := svc.ApplyRulesByName(ctx, tenant, doc)
			return fmt.Sprintf(": %d rules created or replaced.", n), err
		})
	}
	return fmt.Errorf("unknown rules command %q\n%s", args[0], use)
}
