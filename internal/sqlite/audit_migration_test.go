package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestAuditMigrationKeepsRecords opens a database whose audit log an older build wrote (one
// table for sealed and unsealed records, migration 0055) and checks that migration 0056 keeps
// every record: the sealed ones in their chain, the unsealed ones for the sealer, which then
// chains them after the rest.
func TestAuditMigrationKeepsRecords(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(ctx, db, 55); err != nil {
		t.Fatal(err)
	}
	head := vigil.AuditHead{}
	var sealed []vigil.AuditRecord
	for i, id := range []string{"r1", "r2", "r3"} {
		r := vigil.AuditRecord{TenantID: "acme", ID: id, At: int64(100 + i), Actor: "key:k", RequestID: "req-" + id,
			Action: "user.event", Target: "user/u/" + id, Digest: []byte{byte(i)}}
		head = vigil.ChainAudit(head, &r)
		sealed = append(sealed, r)
		// The old table has the sealed insert's columns.
		if _, err := db.ExecContext(ctx, qInsertSealedAudit, r.TenantID, r.ID, r.Seq, r.At, r.Actor, r.RequestID, r.Action,
			r.Target, r.Digest, r.PrevHash, r.Hash); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (?, ?, ?)`, "acme", head.Seq, head.Hash); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"u2", "u1"} { // the sealer's order is at, then id
		if _, err := db.ExecContext(ctx, `INSERT INTO audit_log (tenant_id, id, at, actor, request_id, action, target, digest)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, "acme", id, 200-i, "key:k", "req-"+id, "key.create", "key/"+id, []byte("d")); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.AuditRecords(ctx, "acme", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, sealed, auditEqual) {
		t.Fatalf("sealed records after the migration:\n%+v\nwant\n%+v", got, sealed)
	}
	if n, err := s.UnsealedAudit(ctx, "acme", 1000); err != nil || n != 2 {
		t.Fatalf("unsealed records after the migration: %d, %v; want 2", n, err)
	}
	if tenants, err := s.UnsealedAuditTenants(ctx); err != nil || !slices.Equal(tenants, []string{"acme"}) {
		t.Fatalf("tenants with unsealed records: %q, %v", tenants, err)
	}
	var unsealed []vigil.AuditRecord
	if err := s.Update(ctx, func(tx vigil.Tx) error {
		unsealed, err = tx.UnsealedAuditRecords(ctx, "acme", 10)
		if err != nil {
			return err
		}
		h, err := tx.LockAuditHead(ctx, "acme")
		if err != nil {
			return err
		}
		for i := range unsealed {
			h = vigil.ChainAudit(h, &unsealed[i])
		}
		return tx.SealAudit(ctx, unsealed)
	}); err != nil {
		t.Fatal(err)
	}
	if ids := []string{unsealed[0].ID, unsealed[1].ID}; !slices.Equal(ids, []string{"u1", "u2"}) {
		t.Fatalf("sealing order %q, want u1, u2", ids)
	}
	got, err = s.AuditRecords(ctx, "acme", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(sealed, unsealed...); !slices.EqualFunc(got, want, auditEqual) {
		t.Fatalf("records after sealing:\n%+v\nwant\n%+v", got, want)
	}
	if n, err := s.UnsealedAudit(ctx, "acme", 1000); err != nil || n != 0 {
		t.Fatalf("unsealed records after sealing: %d, %v; want 0", n, err)
	}
	if h, err := s.AuditHead(ctx, "acme"); err != nil || h.Seq != 5 {
		t.Fatalf("head after sealing: %+v, %v; want seq 5", h, err)
	}
}

func auditEqual(a, b vigil.AuditRecord) bool {
	return a.TenantID == b.TenantID && a.ID == b.ID && a.Seq == b.Seq && a.At == b.At && a.Actor == b.Actor &&
		a.RequestID == b.RequestID && a.Action == b.Action && a.Target == b.Target && slices.Equal(a.Digest, b.Digest) &&
		slices.Equal(a.PrevHash, b.PrevHash) && slices.Equal(a.Hash, b.Hash)
}
