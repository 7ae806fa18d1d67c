package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// auditCommand runs `vigil audit verify --tenant NAME [--db DSN]`.
func auditCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("use: vigil audit verify --tenant NAME [--db DSN]")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenant := fs.String("tenant", "", "the tenant whose audit chain to verify")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *tenant == "" {
		return errors.New("--tenant is required")
	}
	var v vigil.AuditVerification
	err := withService(ctx, *dsn, func(svc *vigil.Service) error {
		var err error
		v, err = svc.VerifyAudit(ctx, *tenant)
		return err
	})
	if err != nil {
		return err
	}
	if v.StaleUnsealed > 0 {
		fmt.Fprintf(stderr, "warning: %d audit records older than %s are not sealed yet (is a server's sealer running?)\n",
			v.StaleUnsealed, vigil.StaleAfter)
	}
	if v.BrokenSeq != 0 {
		return fmt.Errorf("audit chain of tenant %q is broken at record %d: %s", *tenant, v.BrokenSeq, v.Broken)
	}
	fmt.Fprintf(stdout, "audit chain of tenant %q verifies: %d records\nhead %d %s\n", *tenant, v.Head.Seq, v.Head.Seq,
		hex.EncodeToString(v.Head.Hash))
	return nil
}
