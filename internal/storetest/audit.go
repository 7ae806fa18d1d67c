package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// auditRecord is an unsealed record of tenant with id, written at at.
func auditRecord(tenant, id string, at int64) vigil.AuditRecord {
	d := sha256.Sum256([]byte(id))
	return vigil.AuditRecord{TenantID: tenant, ID: id, At: at, Actor: "cli", RequestID: "req-" + id,
		Action: vigil.AuditUserEvent, Target: "user/uid/" + id, Digest: d[:]}
}

// unsealedIDs lists the ids of a tenant's unsealed records, in sealing order.
func unsealedIDs(t *testing.T, s vigil.Store, tenant string) []string {
	t.Helper()
	var ids []string
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		records, err := tx.UnsealedAuditRecords(ctx, tenant, 1000)
		for _, r := range records {
			ids = append(ids, r.ID)
		}
		return err
	})
	return ids
}

// wantUnsealed checks that a tenant's unsealed records are exactly ids, in sealing order.
func wantUnsealed(t *testing.T, s vigil.Store, tenant string, ids []string) {
	t.Helper()
	if got := unsealedIDs(t, s, tenant); !slices.Equal(got, ids) {
		t.Fatalf("unsealed audit records of %s = %v, want %v", tenant, got, ids)
	}
}

// wantAudited checks that a tenant's records, sealed (in Seq order) then unsealed (in sealing
// order), are exactly ids: AppendAudit seals a record at once on some stores and not on others.
func wantAudited(t *testing.T, s vigil.Store, tenant string, ids []string) {
	t.Helper()
	sealed, err := s.AuditRecords(context.Background(), tenant, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range sealed {
		got = append(got, r.ID)
	}
	if got = append(got, unsealedIDs(t, s, tenant)...); !slices.Equal(got, ids) {
		t.Fatalf("audit records of %s = %v, want %v", tenant, got, ids)
	}
}

// sealAll seals every unsealed record of tenant, as the sealer would.
func sealAll(t *testing.T, s vigil.Store, tenant string) {
	t.Helper()
	for {
		var n int
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
			records, err := seal(ctx, tx, tenant, 5)
			n = len(records)
			return err
		})
		if n == 0 {
			return
		}
	}
}

// wantChain checks that tenant's sealed records are ids with Seq 1, 2, ..., each chained to the
// one before, and that the stored head is the last.
func wantChain(t *testing.T, s vigil.Store, tenant string, ids []string) {
	t.Helper()
	ctx := context.Background()
	got, err := s.AuditRecords(ctx, tenant, 0, 1000)
	if err != nil || len(got) != len(ids) {
		t.Fatalf("sealed records of %s = %d, %v; want %d", tenant, len(got), err, len(ids))
	}
	for i, r := range got {
		if r.ID != ids[i] || r.Seq != int64(i+1) || len(r.Hash) == 0 {
			t.Fatalf("record %d of %s = id %s seq %d hash %x; want id %s", i+1, tenant, r.ID, r.Seq, r.Hash, ids[i])
		}
		if i > 0 && string(r.PrevHash) != string(got[i-1].Hash) {
			t.Fatalf("record %d of %s does not chain to record %d", r.Seq, tenant, r.Seq-1)
		}
	}
	head, err := s.AuditHead(ctx, tenant)
	if err != nil || head.Seq != int64(len(ids)) || (len(got) > 0 && string(head.Hash) != string(got[len(got)-1].Hash)) {
		t.Fatalf("head of %s = %+v, %v; want the last of %d records", tenant, head, err, len(ids))
	}
}

// testAppendAudit checks AppendAudit, sealing at once or not: a record appended while its tenant
// has unsealed records comes after them in the chain; records of units that fail leave no record
// and no gap in the seqs, also among units that share a commit; each tenant has its own chain.
func testAppendAudit(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.InsertAudit(ctx, auditRecord("t1", "old", 1))
	})
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.AppendAudit(ctx, auditRecord("t1", "new", 2))
	})
	wantUnsealed(t, s, "t1", []string{"old", "new"})
	sealAll(t, s, "t1")

	failed := errors.New("the change failed")
	var fns []func(vigil.Tx) error
	var want []string
	for i := range 12 {
		id := fmt.Sprintf("r%02d", i)
		fail := i%3 == 1
		if !fail {
			want = append(want, id)
		}
		fns = append(fns, func(tx vigil.Tx) error {
			if err := tx.AppendAudit(ctx, auditRecord("t1", id, int64(10+i))); err != nil {
				return err
			}
			if err := tx.AppendAudit(ctx, auditRecord("t2", "t2-"+id, int64(10+i))); err != nil {
				return err
			}
			if fail {
				return failed
			}
			return nil
		})
	}
	errs, err := s.UpdateAll(ctx, fns)
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if (i%3 == 1) != errors.Is(err, failed) {
			t.Fatalf("unit %d = %v", i, err)
		}
	}
	var t2 []string
	for _, id := range want {
		t2 = append(t2, "t2-"+id)
	}
	wantAudited(t, s, "t1", append([]string{"old", "new"}, want...))
	wantAudited(t, s, "t2", t2)
	sealAll(t, s, "t1")
	sealAll(t, s, "t2")
	wantChain(t, s, "t1", append([]string{"old", "new"}, want...))
	wantChain(t, s, "t2", t2)

	// Concurrent writers: one chain, whatever the grouping.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = update(t, s, func(ctx context.Context, tx vigil.Tx) error {
				return tx.AppendAudit(ctx, auditRecord("t3", fmt.Sprintf("c%d", i), int64(i)))
			})
		}()
	}
	wg.Wait()
	sealAll(t, s, "t3")
	got, err := s.AuditRecords(ctx, "t3", 0, 100)
	if err != nil || len(got) != 8 {
		t.Fatalf("t3's records = %d, %v; want 8", len(got), err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	wantChain(t, s, "t3", ids)
}

// seal gives up to limit of a tenant's unsealed records the next seqs after its head, with
// made-up hashes (the store keeps them; the domain computes real ones), and returns them.
func seal(ctx context.Context, tx vigil.Tx, tenant string, limit int) ([]vigil.AuditRecord, error) {
	head, err := tx.LockAuditHead(ctx, tenant)
	if err != nil {
		return nil, err
	}
	records, err := tx.UnsealedAuditRecords(ctx, tenant, limit)
	if err != nil || len(records) == 0 {
		return nil, err
	}
	prev := head.Hash
	for i := range records {
		r := &records[i]
		r.Seq, r.PrevHash = head.Seq+int64(i)+1, prev
		h := sha256.Sum256(append(slices.Clone(prev), r.ID...))
		r.Hash = h[:]
		prev = r.Hash
	}
	return records, tx.SealAudit(ctx, records)
}

// testAuditLog checks the audit log's storage: records inserted in a unit that fails are gone,
// unsealed ones are listed in sealing order (At, then ID) and per tenant, sealing stores each
// record's place and hashes and moves the head, and only sealed records are read back.
func testAuditLog(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		for _, r := range []vigil.AuditRecord{auditRecord("t1", "c", 20), auditRecord("t1", "b", 10),
			auditRecord("t1", "a", 20), auditRecord("t2", "x", 5)} {
			if err := tx.InsertAudit(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	failed := errors.New("the change failed")
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.InsertAudit(ctx, auditRecord("t1", "lost", 1)); err != nil {
			return err
		}
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("failing unit = %v", err)
	}
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.InsertAudit(ctx, auditRecord("t1", "a", 30))
	}); !errors.Is(err, vigil.ErrDuplicate) {
		t.Fatalf("a record id used twice = %v, want ErrDuplicate", err)
	}
	wantUnsealed(t, s, "t1", []string{"b", "a", "c"})
	tenants, err := s.UnsealedAuditTenants(ctx)
	slices.Sort(tenants)
	if err != nil || !slices.Equal(tenants, []string{"t1", "t2"}) {
		t.Fatalf("UnsealedAuditTenants = %v, %v", tenants, err)
	}
	if n, err := s.UnsealedAudit(ctx, "t1", 20); err != nil || n != 1 {
		t.Fatalf("UnsealedAudit of t1 before 20 = %d, %v; want 1", n, err)
	}
	if head, err := s.AuditHead(ctx, "t1"); err != nil || head.Seq != 0 || head.Hash != nil {
		t.Fatalf("head before sealing = %+v, %v", head, err)
	}
	if records, err := s.AuditRecords(ctx, "t1", 0, 10); err != nil || len(records) != 0 {
		t.Fatalf("sealed records before sealing = %v, %v", records, err)
	}

	var sealed []vigil.AuditRecord
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		first, err := seal(ctx, tx, "t1", 2)
		sealed = first
		return err
	})
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		rest, err := seal(ctx, tx, "t1", 10)
		sealed = append(sealed, rest...)
		return err
	})
	got, err := s.AuditRecords(ctx, "t1", 0, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("sealed records = %v, %v", got, err)
	}
	for i, r := range got {
		if fmt.Sprint(r) != fmt.Sprint(sealed[i]) || r.Seq != int64(i+1) {
			t.Fatalf("sealed record %d = %+v, want %+v", i+1, r, sealed[i])
		}
	}
	if page, err := s.AuditRecords(ctx, "t1", 1, 1); err != nil || len(page) != 1 || page[0].ID != "a" {
		t.Fatalf("AuditRecords after 1, limit 1 = %v, %v; want record a", page, err)
	}
	if head, err := s.AuditHead(ctx, "t1"); err != nil || head.Seq != 3 || string(head.Hash) != string(sealed[2].Hash) {
		t.Fatalf("head after sealing = %+v, %v; want record 3", head, err)
	}
	wantUnsealed(t, s, "t1", nil)
	wantUnsealed(t, s, "t2", []string{"x"})
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		again := sealed[0]
		again.Seq = 9
		return tx.SealAudit(ctx, []vigil.AuditRecord{again})
	}); err == nil {
		t.Fatal("sealing a sealed record again succeeded")
	}
	if records, err := s.AuditRecords(ctx, "t2", 0, 10); err != nil || len(records) != 0 {
		t.Fatalf("t2's sealed records = %v, %v; want none (t1's sealing is t1's alone)", records, err)
	}
}

// testConcurrentSealers seals one record at a time from many goroutines: the head's lock must
// make them take turns, so the seqs are 1..n with none taken twice.
func testConcurrentSealers(t *testing.T, s vigil.Store) {
	const n = 12
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		for i := range n {
			if err := tx.InsertAudit(ctx, auditRecord("t1", fmt.Sprintf("r%02d", i), int64(i))); err != nil {
				return err
			}
		}
		return nil
	})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- update(t, s, func(ctx context.Context, tx vigil.Tx) error {
				_, err := seal(ctx, tx, "t1", 1)
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a concurrent sealer failed: %v", err)
		}
	}
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("r%02d", i))
	}
	wantChain(t, s, "t1", ids)
}

// testRiskModelVersions checks that every risk model put is kept as a version, oldest first.
func testRiskModelVersions(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	for i, v := range []string{"m1", "m2"} {
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
			return tx.PutRiskModel(ctx, vigil.RiskModelRecord{TenantID: "t1", Version: v, Document: []byte(`{"v":"` + v + `"}`),
				UpdatedAt: int64(100 + i)})
		})
	}
	got, err := s.RiskModelVersions(ctx, "t1")
	if err != nil || len(got) != 2 || got[0].Version != "m1" || got[1].Version != "m2" ||
		string(got[1].Document) != `{"v":"m2"}` || got[0].UpdatedAt != 100 {
		t.Fatalf("RiskModelVersions = %+v, %v; want m1 then m2", got, err)
	}
	if none, err := s.RiskModelVersions(ctx, "t2"); err != nil || len(none) != 0 {
		t.Fatalf("another tenant's versions = %v, %v", none, err)
	}
}
