package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestFirstStatementRunsInTheTransaction: a unit's BEGIN goes out with its first statement. That
// statement, whether it returns no rows or one, must be inside the transaction: invisible to
// other connections until the commit, and gone when the unit fails.
func TestFirstStatementRunsInTheTransaction(t *testing.T) {
	store := storetest.OpenPostgres(t)
	ctx := context.Background()
	if err := store.Update(ctx, func(tx vigil.Tx) error {
		return tx.CreateTenant(ctx, vigil.Tenant{ID: "t1", Name: "acme"})
	}); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("the unit fails")
	tests := []struct {
		name string
		// first is the unit's first statement; it returns how many keys it created.
		first func(tx vigil.Tx, key string) (int, error)
	}{
		{"a statement without rows", func(tx vigil.Tx, key string) (int, error) {
			return 1, tx.CreateKey(ctx, vigil.APIKey{ID: key + " first", Hash: []byte(key + " first"), TenantID: "t1"})
		}},
		{"a query of one row", func(tx vigil.Tx, _ string) (int, error) {
			_, err := tx.TenantByName(ctx, "acme")
			return 0, err
		}},
	}
	for _, tc := range tests {
		for _, commit := range []bool{false, true} {
			key := fmt.Sprintf("%s %v", tc.name, commit)
			before, err := store.CountKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			created := 0
			err = store.Update(ctx, func(tx vigil.Tx) error {
				n, err := tc.first(tx, key)
				if err != nil {
					return err
				}
				if err := tx.CreateKey(ctx, vigil.APIKey{ID: key, Hash: []byte(key), TenantID: "t1"}); err != nil {
					return err
				}
				created = n + 1
				if seen, err := store.CountKeys(ctx); err != nil || seen != before {
					t.Errorf("%s: another connection counts %d keys (%v) before the commit; want %d", key, seen, err, before)
				}
				if !commit {
					return failed
				}
				return nil
			})
			want := before
			if commit {
				want += created
			}
			if (err == nil) != commit || !commit && !errors.Is(err, failed) {
				t.Fatalf("%s: Update = %v", key, err)
			}
			if n, err := store.CountKeys(ctx); err != nil || n != want {
				t.Fatalf("%s: %d keys (%v) after the unit; want %d", key, n, err, want)
			}
		}
	}
}

// TestIgnoredFailureStoresNothing: PostgreSQL aborts a transaction at its first failed
// statement and answers its COMMIT with ROLLBACK. A unit that ignores such a failure and ends
// well must still report that nothing was stored.
func TestIgnoredFailureStoresNothing(t *testing.T) {
	store := storetest.OpenPostgres(t)
	ctx := context.Background()
	tenant := vigil.Tenant{ID: "t1", Name: "acme"}
	if err := store.Update(ctx, func(tx vigil.Tx) error { return tx.CreateTenant(ctx, tenant) }); err != nil {
		t.Fatal(err)
	}
	err := store.Update(ctx, func(tx vigil.Tx) error {
		if err := tx.CreateTenant(ctx, tenant); !errors.Is(err, vigil.ErrDuplicate) {
			t.Errorf("second tenant t1: %v, want ErrDuplicate", err)
		}
		_ = tx.CreateKey(ctx, vigil.APIKey{ID: "k", Hash: []byte("k"), TenantID: "t1"}) // fails: the transaction is aborted
		return nil
	})
	if err == nil {
		t.Fatal("Update of a unit with an ignored failure = nil; want an error")
	}
	if n, err := store.CountKeys(ctx); err != nil || n != 0 {
		t.Fatalf("%d keys (%v) after the aborted unit; want 0", n, err)
	}
}

// TestUnitWithoutStatements: a unit that runs no statement sends nothing and succeeds.
func TestUnitWithoutStatements(t *testing.T) {
	store := storetest.OpenPostgres(t)
	if err := store.Update(context.Background(), func(vigil.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestWriteAloneEndsTheUnit: a conditional write that is its unit's first statement commits on
// its own. When it wrote, the unit is over: a statement after it fails and sends nothing. When
// it did not, the unit goes on, and its next statements run in a transaction.
func TestWriteAloneEndsTheUnit(t *testing.T) {
	store := storetest.OpenPostgres(t)
	ctx := context.Background()
	user := vigil.UserRecord{TenantID: "t1", UID: "uid-1", UserID: "alice", Kind: vigil.Consumer, Profile: []byte(`{}`),
		Evaluation: []byte(`{}`), LastSeq: 1}
	if err := store.Update(ctx, func(tx vigil.Tx) error {
		if err := tx.CreateTenant(ctx, vigil.Tenant{ID: "t1", Name: "acme"}); err != nil {
			return err
		}
		return tx.InsertUser(ctx, user)
	}); err != nil {
		t.Fatal(err)
	}
	write := func(tx vigil.Tx, basedOn int64) (bool, error) {
		next := user
		next.LastSeq = basedOn + 1
		entry := vigil.Entry{TenantID: "t1", UserUID: "uid-1", Seq: next.LastSeq, Type: vigil.EntryEvent,
			EventKind: vigil.Consumer, EventID: fmt.Sprintf("e%d", next.LastSeq), Body: []byte(`{}`)}
		return tx.WriteUserIf(ctx, vigil.UserVersion{UserID: "alice", UID: "uid-1", LastSeq: basedOn}, next, []vigil.Entry{entry}, nil,
			vigil.AuditRecord{TenantID: "t1", ID: entry.EventID, Action: vigil.AuditUserEvent, Target: "user/uid-1"})
	}
	var after error
	if err := store.Update(ctx, func(tx vigil.Tx) error {
		if done, err := write(tx, 1); !done || err != nil {
			t.Fatalf("WriteUserIf on the current version = %v, %v; want true", done, err)
		}
		after = tx.CreateKey(ctx, vigil.APIKey{ID: "after the write", Hash: []byte("after the write"), TenantID: "t1"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if after == nil {
		t.Error("a statement after the unit's committed write succeeded; want an error")
	}
	failed := errors.New("the unit fails")
	err := store.Update(ctx, func(tx vigil.Tx) error {
		if done, err := write(tx, 1); done || err != nil {
			t.Fatalf("WriteUserIf on a stale version = %v, %v; want false", done, err)
		}
		if err := tx.CreateKey(ctx, vigil.APIKey{ID: "after the stale write", Hash: []byte("after the stale write"), TenantID: "t1"}); err != nil {
			return err
		}
		if n, err := store.CountKeys(ctx); err != nil || n != 0 {
			t.Errorf("another connection counts %d keys (%v) before the commit; want 0", n, err)
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Update = %v, want the unit's error", err)
	}
	if n, err := store.CountKeys(ctx); err != nil || n != 0 {
		t.Fatalf("%d keys (%v) after the units; want 0", n, err)
	}
	if got, err := store.User(ctx, "t1", "alice"); err != nil || got.LastSeq != 2 {
		t.Fatalf("user = %+v, %v; want LastSeq 2", got, err)
	}
	if history, err := store.UserEntries(ctx, "t1", "uid-1"); err != nil || len(history) != 1 {
		t.Fatalf("history = %d entries, %v; want the one write's", len(history), err)
	}
}
