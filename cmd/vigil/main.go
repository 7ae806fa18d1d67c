// Command vigil is the Vigil compliance server: a self-hosted, Flagright-compatible API for
// consumer and business users and their lifecycle events.
//
//	vigil serve [--listen ADDR] [--db DSN]        run the server (env VIGIL_LISTEN, VIGIL_DB)
//	vigil keys create --tenant NAME [--name L] [--scopes S]   create a tenant's API key
//	vigil keys list --tenant NAME                 list a tenant's keys (never their secrets)
//	vigil keys revoke ID_OR_KEY                   revoke a key
//	vigil risk apply --tenant NAME --file F       load a tenant's risk model (YAML or JSON)
//	vigil risk default                            print the default risk model
//	vigil rules apply --tenant NAME --file F      create or replace a tenant's rules (YAML or JSON)
//	vigil rules library                           print the default rule library
//	vigil users erase --tenant NAME --kind K ID   erase a user's personal data (GDPR Art. 17)
//	vigil import --tenant NAME --kind KIND FILE   import a JSON Lines export in batches
//	vigil tenants limit --tenant NAME --rps N [--burst M]   set a tenant's own rate limit
//	vigil webhooks add|list|rotate|remove|deliveries|retry --tenant NAME ...   manage webhooks
//	vigil audit verify --tenant NAME [--db DSN]   verify a tenant's audit chain, print its head
//	vigil lists import|status [--db DSN] [FILE...]   load sanctions and PEP lists, show them
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/vigil-aml/vigil/internal/vigil"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "vigil:", err)
		os.Exit(1)
	}
}

const usage = `Vigil: a self-hosted, Flagright-compatible compliance server.

Usage:
  vigil serve [--listen ADDR] [--db DSN] [--max-body BYTES]
  vigil keys create --tenant NAME [--name LABEL] [--scopes read,write,admin] [--db DSN]
  vigil keys list --tenant NAME [--db DSN]
  vigil keys revoke [--db DSN] ID_OR_KEY
  vigil risk apply --tenant NAME --file model.yaml [--db DSN]
  vigil risk default
  vigil rules apply --tenant NAME --file rules.yaml [--db DSN]
  vigil rules library
  vigil webhooks add|list|rotate|remove|deliveries|retry --tenant NAME [...]
  vigil analysts add --tenant NAME --email EMAIL --role viewer|analyst|admin [--db DSN] < password
  vigil analysts list|remove --tenant NAME [--email EMAIL] [--db DSN]
  vigil users erase --tenant NAME --kind consumer|business [--db DSN] USER_ID
  vigil tenants limit --tenant NAME --rps N [--burst M] | --clear [--db DSN]
  vigil audit verify --tenant NAME [--db DSN]
  vigil lists import [--db DSN] FILE...
  vigil lists status [--db DSN]
  vigil import --tenant NAME --kind consumer-users|business-users|consumer-events|business-events FILE.jsonl [--db DSN]

DSN: sqlite:PATH (default sqlite:vigil.db). Environment: VIGIL_LISTEN, VIGIL_DB.
`

// run executes one command line. ready, when not nil, receives the address the server listens on.
// Asking for help (--help on any command) is not an error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	if err := dispatch(ctx, args, stdout, stderr, ready); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	if args[0] != "serve" {
		// What a command changes is recorded in the audit log as the command line's doing.
		ctx = vigil.WithCaller(ctx, &vigil.Caller{Actor: "cli"})
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr, ready)
	case "audit":
		return auditCommand(ctx, args[1:], stdout, stderr)
	case "keys":
		return keysCommand(ctx, args[1:], stdout, stderr)
	case "risk":
		return riskCommand(ctx, args[1:], stdout, stderr)
	case "rules":
		return rulesCommand(ctx, args[1:], stdout, stderr)
	case "users":
		return usersCommand(ctx, args[1:], stdout, stderr)
	case "import":
		return importFile(ctx, args[1:], stdout, stderr)
	case "webhooks":
		return webhooksCommand(ctx, args[1:], stdout, stderr)
	case "tenants":
		return tenantsCommand(ctx, args[1:], stdout, stderr)
	case "analysts":
		return analystsCommand(ctx, args[1:], stdout, stderr)
	case "lists":
		return listsCommand(ctx, args[1:], stdout, stderr)
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
