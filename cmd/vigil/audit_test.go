package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to tamper with the chain
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// sealNow seals every unsealed audit record of the database, as a server's sealer would.
func sealNow(t *testing.T, dsn string) {
	t.Helper()
	if err := withService(context.Background(), dsn, func(svc *vigil.Service) error {
		_, err := svc.SealAudit(context.Background())
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// verifyAudit runs `vigil audit verify` and returns its output and error.
func verifyAudit(dsn, tenant string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"audit", "verify", "--tenant", tenant, "--db", dsn}, &out, io.Discard, nil)
	return out.String(), err
}

var headLine = regexp.MustCompile(`(?m)^head (\d+) ([0-9a-f]{64})$`)

// verifiedHead runs `vigil audit verify`, fails the test unless the chain verifies, and returns
// the head's sequence number.
func verifiedHead(t *testing.T, dsn, tenant string) int64 {
	t.Helper()
	out, err := verifyAudit(dsn, tenant)
	m := headLine.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("audit verify = %v\n%s", err, out)
	}
	seq, _ := strconv.ParseInt(m[1], 10, 64)
	return seq
}

// rawDB opens the database behind a DSN directly, as an administrator with write access would.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver, source := "pgx", dsn
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		driver, source = "sqlite", path
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestAuditVerifyCatchesTampering edits a sealed chain directly in the database, one way per
// case, and checks that `vigil audit verify` fails naming the first record that was changed.
func TestAuditVerifyCatchesTampering(t *testing.T) {
	for _, tc := range []struct {
		name string
		sql  []string
		want string
	}{
		{"a record edited", []string{`UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3`},
			"broken at record 3: record 3 was modified"},
		{"a digest edited", []string{`UPDATE audit_log SET digest = prev_hash WHERE seq = 5`},
			"broken at record 5: record 5 was modified"},
		{"a record deleted", []string{`DELETE FROM audit_log WHERE seq = 3`},
			"broken at record 3: record 3 is missing (deleted)"},
		{"the last record deleted", []string{`DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)`},
			"is missing (deleted): the chain head is record"},
		{"a record inserted", []string{
			`UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 3`,
			`UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1003`,
			`INSERT INTO audit_log (tenant_id, id, seq, at, actor, request_id, action, target, digest, prev_hash, hash)
				SELECT tenant_id, 'forged', 3, at, 'cli', '', 'rule.put', 'rule/forged/1', digest, hash, digest
				FROM audit_log WHERE seq = 2`},
			"broken at record 3: record 3 was inserted: record 4 follows record 2"},
		{"two records swapped", []string{
			`UPDATE audit_log SET seq = -2 WHERE seq = 2`,
			`UPDATE audit_log SET seq = 2 WHERE seq = 3`,
			`UPDATE audit_log SET seq = 3 WHERE seq = -2`},
			"broken at record 2: record 2 is out of place (inserted or reordered)"},
	} {
		for _, b := range storetest.Backends(t) {
			t.Run(tc.name+"/"+b.Name, func(t *testing.T) {
				dsn := b.DSN(t)
				newTestKey(t, dsn, "acme") // the tenant, its seeded rules and its key: several records
				sealNow(t, dsn)
				if head := verifiedHead(t, dsn, "acme"); head < 6 {
					t.Fatalf("head %d: want a few records to tamper with", head)
				}
				db := rawDB(t, dsn)
				for _, q := range tc.sql {
					if _, err := db.Exec(q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				out, err := verifyAudit(dsn, "acme")
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("audit verify after tampering = %v (output %q), want an error with %q", err, out, tc.want)
				}
			})
		}
	}
}

// TestAuditVerifyCommand checks the command's errors, that it seals nothing (on PostgreSQL a
// change's record waits for the sealer; SQLite seals it with the change) and that the sealed
// chain grows by one record per change.
func TestAuditVerifyCommand(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.DSN(t)
			if _, err := verifyAudit(dsn, "nobody"); err == nil || !strings.Contains(err.Error(), `No tenant named "nobody"`) {
				t.Fatalf("verify of an unknown tenant = %v", err)
			}
			if err := run(context.Background(), []string{"audit", "verify", "--db", dsn}, io.Discard, io.Discard, nil); err == nil ||
				!strings.Contains(err.Error(), "--tenant is required") {
				t.Fatalf("verify without a tenant = %v", err)
			}
			newTestKey(t, dsn, "acme")
			unsealed := unsealedRecords(t, dsn)
			if b.Name == "postgres" && unsealed == 0 {
				t.Fatal("no unsealed record on PostgreSQL before its sealer ran")
			}
			before := verifiedHead(t, dsn, "acme")
			if n := unsealedRecords(t, dsn); n != unsealed {
				t.Fatalf("unsealed records after verify = %d, want %d (verify seals nothing)", n, unsealed)
			}
			sealNow(t, dsn)
			first := verifiedHead(t, dsn, "acme")
			if first != before+int64(unsealed) || unsealedRecords(t, dsn) != 0 {
				t.Fatalf("head after sealing = %d, want %d + %d unsealed", first, before, unsealed)
			}
			newTestKey(t, dsn, "acme") // one more record: the key's
			sealNow(t, dsn)
			if head := verifiedHead(t, dsn, "acme"); head != first+1 {
				t.Fatalf("head after a second key = %d, want %d", head, first+1)
			}
		})
	}
}

// unsealedRecords counts the database's unsealed audit records (SQLite keeps them apart).
func unsealedRecords(t *testing.T, dsn string) int {
	t.Helper()
	query := `SELECT count(*) FROM audit_log WHERE seq IS NULL`
	if strings.HasPrefix(dsn, "sqlite:") {
		query = `SELECT count(*) FROM audit_unsealed`
	}
	var n int
	if err := rawDB(t, dsn).QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
