package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

var importKinds = map[string]vigil.BatchKind{
	"consumer-users":  vigil.BatchConsumerUsers,
	"business-users":  vigil.BatchBusinessUsers,
	"consumer-events": vigil.BatchConsumerEvents,
	"business-events": vigil.BatchBusinessEvents,
}

// importKindNames lists the valid --kind values, sorted.
func importKindNames() []string {
	names := make([]string, 0, len(importKinds))
	for name := range importKinds {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// importSummary counts the outcome of an import.
type importSummary struct {
	records, successful, failed int
	failures                    []string
}

// importFile loads a JSON Lines export (one user or event per line) in batches. Each batch's id
// derives from the file's content and the batch's position, so running the same import again
// replays instead of applying twice.
func importFile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import", stderr)
	tenant := fs.String("tenant", "", "tenant name")
	kindName := fs.String("kind", "", "consumer-users, business-users, consumer-events or business-events")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	batchSize := fs.Int("batch-size", 1000, "records per batch (at most 10000)")
	if err := parseArgs(fs, args, 1, "tenant", "kind"); err != nil {
		return err
	}
	kind, ok := importKinds[*kindName]
	if !ok {
		return fmt.Errorf("import: unknown --kind %q; use one of %s", *kindName, strings.Join(importKindNames(), ", "))
	}
	if fs.NArg() != 1 {
		return errors.New("import: missing the file to import: vigil import --tenant NAME --kind KIND FILE.jsonl")
	}
	if *batchSize < 1 || *batchSize > vigil.MaxBatchRecords {
		return fmt.Errorf("--batch-size must be from 1 to %d", vigil.MaxBatchRecords)
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		t, err := svc.TenantByName(ctx, *tenant)
		if err != nil {
			return err
		}

		var lines [][]byte
		scanner := bufio.NewScanner(bytes.NewReader(data))
		scanner.Buffer(make([]byte, 0, 1<<20), 32<<20)
		for scanner.Scan() {
			if line := bytes.TrimSpace(scanner.Bytes()); len(line) > 0 {
				lines = append(lines, append([]byte(nil), line...))
			}
		}
		if err := scanner.Err(); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		prefix := "import-" + hex.EncodeToString(sum[:8])
		progress := newProgress(stderr, len(lines))
		var s importSummary
		for start := 0; start < len(lines); start += *batchSize {
			chunk := lines[start:min(start+*batchSize, len(lines))]
			records := make([]any, 0, len(chunk))
			lineOf := make([]int, 0, len(chunk)) // the file line of each record sent
			for i, line := range chunk {
				obj, err := schema.DecodeObject(line)
				if err != nil {
					s.records++
					s.failed++
					s.failures = append(s.failures, fmt.Sprintf("line %d: %v", start+i+1, err))
					continue
				}
				records = append(records, obj)
				lineOf = append(lineOf, start+i+1)
			}
			body := schema.Object{"batchId": fmt.Sprintf("%s-%d", prefix, start / *batchSize), "data": records}
			reply, failures, err := svc.BatchWithFailures(ctx, t, kind, body, vigil.Flags{})
			if err != nil {
				return fmt.Errorf("batch of lines %d-%d: %w", start+1, start+len(chunk), err)
			}
			var resp struct {
				Successful, Failed int
				FailedRecords      []struct{ ID, ReasonCode string }
			}
			if err := json.Unmarshal(reply, &resp); err != nil {
				return err
			}
			s.records += len(records)
			s.successful += resp.Successful
			s.failed += resp.Failed
			if failures == nil { // a batch replayed from an earlier import: only its codes are kept
				for _, f := range resp.FailedRecords {
					s.failures = append(s.failures, fmt.Sprintf("record %s: %s", f.ID, f.ReasonCode))
				}
			}
			for _, f := range failures {
				s.failures = append(s.failures, fmt.Sprintf("line %d (%s): %s: %s", lineOf[f.Position], f.ID, f.ReasonCode,
					strings.Join(f.Problems, "; ")))
			}
			progress.update(start + len(chunk))
		}
		progress.done()
		fmt.Fprintf(stdout, "Imported %s into tenant %q: %d records, %d successful, %d failed.\n",
			fs.Arg(0), *tenant, s.records, s.successful, s.failed)
		const shown = 20
		for i, f := range s.failures {
			if i == shown {
				fmt.Fprintf(stdout, "  ... and %d more failures\n", len(s.failures)-shown)
				break
			}
			fmt.Fprintf(stdout, "  failed %s\n", f)
		}
		if s.failed > 0 {
			return fmt.Errorf("import: %d of %d records failed", s.failed, s.records)
		}
		return nil
	})
}

// progress draws a bar on a terminal and stays silent elsewhere (pipes, files, CI logs).
type progress struct {
	w     io.Writer
	total int
	on    bool
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.on = true
		}
	}
	return p
}

func (p *progress) update(n int) {
	if !p.on || p.total == 0 {
		return
	}
	const width = 40
	filled := width * n / p.total
	fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d records", strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		100*n/p.total, n, p.total)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
