package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/vigil-aml/vigil/internal/postgres"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestFirstStatementRunsInTheTransaction: a unit's BEGIN goes out with its first statement. That
// statement, whether it returns no rows or one, must be inside the transaction: invisible to
// other connections until the commit, and gone when the unit fails.
func TestFirstStatementRunsInTheTransaction(t *testing.T) {
	store := openPostgres(t)
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
			return 1, tx.CreateKey(ctx, vigil.APIKey{Hash: []byte(key + " first"), TenantID: "t1"})
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
				if err := tx.CreateKey(ctx, vigil.APIKey{Hash: []byte(key), TenantID: "t1"}); err != nil {
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
	store := openPostgres(t)
	ctx := context.Background()
	tenant := vigil.Tenant{ID: "t1", Name: "acme"}
	if err := store.Update(ctx, func(tx vigil.Tx) error { return tx.CreateTenant(ctx, tenant) }); err != nil {
		t.Fatal(err)
	}
	err := store.Update(ctx, func(tx vigil.Tx) error {
		if err := tx.CreateTenant(ctx, tenant); !errors.Is(err, vigil.ErrDuplicate) {
			t.Errorf("second tenant t1: %v, want ErrDuplicate", err)
		}
		_ = tx.CreateKey(ctx, vigil.APIKey{Hash: []byte("k"), TenantID: "t1"}) // fails: the transaction is aborted
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
	store := openPostgres(t)
	if err := store.Update(context.Background(), func(vigil.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func openPostgres(t *testing.T) *postgres.Store {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	if dsn == "" {
		t.Skip("no PostgreSQL server")
	}
	store, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}
