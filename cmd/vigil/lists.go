package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

const listsUsage = `use: vigil lists import [--db DSN] FILE...   load sanctions or PEP lists (format detected; OFAC's sdn.csv, alt.csv, add.csv together)
     vigil lists status [--db DSN]            each list's source, publication date, entries and last refresh`

// listsCommand runs `vigil lists import|status`.
func listsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(listsUsage)
	}
	switch {
	case isHelp(args[0]):
		fmt.Fprintln(stdout, listsUsage)
		return nil
	case args[0] == "import":
		fs := newFlagSet("lists import", stderr)
		dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			return errors.New("lists import: name at least one file\n" + listsUsage)
		}
		var files []io.Reader
		for _, name := range fs.Args() {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			files = append(files, f)
		}
		return withService(ctx, *dsn, func(svc *vigil.Service) error {
			changes, err := svc.ImportLists(ctx, files...)
			for _, c := range changes {
				fmt.Fprintf(stdout, "%s: %d entries (%d new, %d changed, %d removed), published %s\n",
					c.List.ID, c.List.Entries, c.Added, c.Changed, c.Removed, orDash(c.List.Published))
			}
			return err
		})
	case args[0] == "status":
		fs := newFlagSet("lists status", stderr)
		dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
		if err := parseArgs(fs, args[1:], 0); err != nil {
			return err
		}
		return withService(ctx, *dsn, func(svc *vigil.Service) error {
			lists, err := svc.Lists(ctx)
			if err != nil {
				return err
			}
			if len(lists) == 0 {
				fmt.Fprintln(stdout, "No lists: load some with vigil lists import.")
				return nil
			}
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "LIST\tKIND\tPUBLISHED\tENTRIES\tLAST REFRESH\tVERSION")
			for _, l := range lists {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", l.ID, l.Kind, orDash(l.Published), l.Entries,
					time.UnixMilli(l.RefreshedAt).UTC().Format(time.RFC3339), l.Version)
			}
			return w.Flush()
		})
	}
	return fmt.Errorf("unknown lists command %q\n%s", args[0], listsUsage)
}
