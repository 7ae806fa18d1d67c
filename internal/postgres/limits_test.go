package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/postgres"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// openLimited opens a PostgreSQL store of one pooled connection with the given limits.
func openLimited(t *testing.T, limits postgres.Limits) *postgres.Store {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	if dsn == "" {
		t.Skip("no PostgreSQL server")
	}
	s, err := postgres.OpenWith(context.Background(), dsn+"&pool_max_conns=1", limits)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// holdUnit runs a unit that holds its connection (and any lock it took in before) until release.
func holdUnit(t *testing.T, s *postgres.Store, before func(vigil.Tx) error) (release func()) {
	t.Helper()
	started, gate, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(tx vigil.Tx) error {
			if err := before(tx); err != nil {
				return err
			}
			close(started)
			<-gate
			return nil
		})
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("the holding unit: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(gate)
			if err := <-done; err != nil {
				t.Errorf("the holding unit: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// TestPoolAcquireIsBounded: with the pool's only connection taken (by a unit that ran a
// statement), a write waits AcquireTimeout and is refused with ErrOverloaded, having written
// nothing.
func TestPoolAcquireIsBounded(t *testing.T) {
	s := openLimited(t, postgres.Limits{AcquireTimeout: 100 * time.Millisecond})
	ctx := context.Background()
	// A unit takes its connection with its first statement.
	release := holdUnit(t, s, func(tx vigil.Tx) error {
		_, err := tx.TenantByName(ctx, "nobody")
		if errors.Is(err, vigil.ErrNotFound) {
			return nil
		}
		return err
	})
	for name, write := range map[string]func() error{
		"Update": func() error {
			return s.Update(ctx, func(tx vigil.Tx) error { return tx.CreateTenant(ctx, vigil.Tenant{ID: "t", Name: "refused"}) })
		},
		"UpdateAll": func() error {
			_, err := s.UpdateAll(ctx, []func(vigil.Tx) error{func(tx vigil.Tx) error {
				return tx.CreateTenant(ctx, vigil.Tenant{ID: "t", Name: "refused"})
			}})
			return err
		},
	} {
		if err := write(); !errors.Is(err, vigil.ErrOverloaded) {
			t.Errorf("%s with no connection free: %v, want ErrOverloaded", name, err)
		}
	}
	release()
	err := s.Update(ctx, func(tx vigil.Tx) error {
		_, err := tx.TenantByName(ctx, "refused")
		return err
	})
	if !errors.Is(err, vigil.ErrNotFound) {
		t.Errorf("the refused tenant: %v, want ErrNotFound", err)
	}
}

// TestStatementTimeout: a statement stuck behind a row lock past the statement timeout ends with
// ErrOverloaded, and its unit is rolled back.
func TestStatementTimeout(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	if dsn == "" {
		t.Skip("no PostgreSQL server")
	}
	ctx := context.Background()
	s, err := postgres.OpenWith(ctx, dsn, postgres.Limits{StatementTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	user := vigil.UserRecord{TenantID: "t", UID: "uid", UserID: "u", Kind: vigil.Consumer, Profile: []byte(`{}`),
		Evaluation: []byte(`{}`), Risk: []byte(`{}`), Rules: []byte(`{}`)}
	if err := s.Update(ctx, func(tx vigil.Tx) error {
		if err := tx.CreateTenant(ctx, vigil.Tenant{ID: "t", Name: "acme"}); err != nil {
			return err
		}
		return tx.InsertUser(ctx, user)
	}); err != nil {
		t.Fatal(err)
	}
	release := holdUnit(t, s, func(tx vigil.Tx) error {
		_, err := tx.LockUser(ctx, "t", "u")
		return err
	})
	err = s.Update(ctx, func(tx vigil.Tx) error {
		if err := tx.CreateTenant(ctx, vigil.Tenant{ID: "t2", Name: "rolled-back"}); err != nil {
			return err
		}
		_, err := tx.LockUser(ctx, "t", "u")
		return err
	})
	if !errors.Is(err, vigil.ErrOverloaded) {
		t.Fatalf("a lock held past the statement timeout: %v, want ErrOverloaded", err)
	}
	release()
	err = s.Update(ctx, func(tx vigil.Tx) error {
		_, err := tx.TenantByName(ctx, "rolled-back")
		return err
	})
	if !errors.Is(err, vigil.ErrNotFound) {
		t.Errorf("the timed-out unit's tenant: %v, want ErrNotFound", err)
	}
}
