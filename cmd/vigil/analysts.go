package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// stdin is where `vigil analysts add` reads the password; tests replace it.
var stdin io.Reader = os.Stdin

// analystsCommand runs `vigil analysts add|list|remove`.
func analystsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const use = "use: vigil analysts add|list|remove --tenant NAME ... (see vigil analysts add --help)"
	if len(args) == 0 {
		return fmt.Errorf("missing analysts command; %s", use)
	}
	if isHelp(args[0]) {
		fmt.Fprintln(stdout, use)
		return nil
	}
	switch args[0] {
	case "add":
		return addAnalyst(ctx, args[1:], stdout, stderr)
	case "list":
		return listAnalysts(ctx, args[1:], stdout, stderr)
	case "remove":
		return removeAnalyst(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown analysts command %q; %s", args[0], use)
}

// addAnalyst creates a console account, its password read from the first line of stdin (so it
// never appears in the process list or the shell's history).
func addAnalyst(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("analysts add", stderr)
	tenant := fs.String("tenant", "", "tenant name (it must exist: vigil keys create makes it)")
	email := fs.String("email", "", "the analyst's email address, used to sign in")
	roleName := fs.String("role", "", "viewer (reads), analyst (also acts on users) or admin (also rules, risk, webhooks)")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := parseArgs(fs, args, 0, "tenant", "email", "role"); err != nil {
		return err
	}
	role, err := vigil.ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read the password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return fmt.Errorf("analysts add: give the password on stdin, as in: read -rs PW && printf '%%s\\n' \"$PW\" | vigil analysts add --tenant NAME --email EMAIL --role ROLE")
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		a, err := svc.AddAnalyst(ctx, *tenant, *email, role, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "analyst %s (%s) added to tenant %q; they sign in at /console/\n", a.Email, a.Role, *tenant)
		return nil
	})
}

// listAnalysts prints a tenant's analysts: email, role, created; never a hash.
func listAnalysts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("analysts list", stderr)
	tenant := fs.String("tenant", "", "tenant name")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := parseArgs(fs, args, 0, "tenant"); err != nil {
		return err
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		list, err := svc.Analysts(ctx, *tenant)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tROLE\tCREATED")
		for _, a := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Email, a.Role, when(a.CreatedAt))
		}
		return tw.Flush()
	})
}

// removeAnalyst deletes a tenant's analyst by email.
func removeAnalyst(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("analysts remove", stderr)
	tenant := fs.String("tenant", "", "tenant name")
	email := fs.String("email", "", "the analyst's email address")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := parseArgs(fs, args, 0, "tenant", "email"); err != nil {
		return err
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		if err := svc.RemoveAnalyst(ctx, *tenant, *email); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "analyst %s removed from tenant %q\n", strings.ToLower(strings.TrimSpace(*email)), *tenant)
		return nil
	})
}
