package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
	driver "modernc.org/sqlite"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDurabilitySettings(t *testing.T) {
	s := openTemp(t)
	for _, db := range []struct {
		name string
		conn querier
	}{{"write", s.writer}, {"read", s.read}, {"checkpoint", s.checkpoints.db}} {
		conn := db.conn
		var mode string
		var sync int
		if err := conn.QueryRowContext(context.Background(), "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || sync != 2 {
			t.Errorf("%s connection: journal_mode=%s synchronous=%d, want wal and 2 (FULL)", db.name, mode, sync)
		}
	}
	if runtime.GOOS == "linux" && !driver.FdatasyncEnabled() {
		t.Error("SQLite syncs with fsync after Open, want fdatasync (syncDataOnly)")
	}
}

func tenantUnit(name string) func(vigil.Tx) error {
	return func(tx vigil.Tx) error {
		return tx.CreateTenant(context.Background(), vigil.Tenant{ID: name, Name: name})
	}
}

// TestGroupIsolation runs many units concurrently, some failing or panicking, and checks that
// exactly the good ones are committed.
func TestGroupIsolation(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("t%03d", i)
			errs[i] = s.Update(ctx, func(tx vigil.Tx) error {
				if err := tenantUnit(name)(tx); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errors.New("refused")
				case 7:
					panic("boom")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		failing := i%10 == 3 || i%10 == 7
		if failing != (err != nil) {
			t.Fatalf("unit %d: err = %v, want failure %v", i, err, failing)
		}
		var got vigil.Tenant
		lookup := s.Update(ctx, func(tx vigil.Tx) error {
			var err error
			got, err = tx.TenantByName(ctx, fmt.Sprintf("t%03d", i))
			return err
		})
		if failing != errors.Is(lookup, vigil.ErrNotFound) {
			t.Fatalf("unit %d: tenant lookup = %v, %v; failing units must leave nothing", i, got, lookup)
		}
	}
}

// TestFailedCommitIsRolledBack: a COMMIT that fails leaves SQLite's transaction open; the writer
// must roll it back, report the failure to the group's units and go on committing later ones.
// A foreign key checked only at COMMIT (defer_foreign_keys) makes the commit fail.
func TestFailedCommitIsRolledBack(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	err := s.Update(ctx, func(tx vigil.Tx) error {
		if _, err := tx.(*sqlTx).conn.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
			return err
		}
		if err := tenantUnit("kept-out")(tx); err != nil {
			return err
		}
		return tx.CreateKey(ctx, vigil.APIKey{Hash: []byte("k"), TenantID: "no such tenant"})
	})
	if err == nil || !strings.Contains(err.Error(), "commit") {
		t.Fatalf("update with a dangling key: %v, want the commit's failure", err)
	}
	if err := s.Update(ctx, tenantUnit("after")); err != nil {
		t.Fatalf("the next update: %v", err)
	}
	if err := lookupTenant(s, "after"); err != nil {
		t.Fatalf("the next update's tenant: %v", err)
	}
	if err := lookupTenant(s, "kept-out"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("the failed group's tenant: %v, want ErrNotFound (rolled back)", err)
	}
}

// lookupTenant looks a tenant up through the writer: nil when it is stored.
func lookupTenant(s *Store, name string) error {
	return s.Update(context.Background(), func(tx vigil.Tx) error {
		_, err := tx.TenantByName(context.Background(), name)
		return err
	})
}

// TestGroupWithoutSavepointsRunsAgain: a group of units runs without savepoints until one of them
// fails; then it runs again with them, so the failed unit leaves nothing and the others commit,
// and the next groups keep savepoints for a while. A lone unit's failure needs no second run.
func TestGroupWithoutSavepointsRunsAgain(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	runs := make([]int, 3)
	unit := func(i int) func(vigil.Tx) error {
		return func(tx vigil.Tx) error {
			runs[i]++
			if err := tenantUnit(fmt.Sprintf("g%d", i))(tx); err != nil {
				return err
			}
			if i == 1 {
				return errors.New("refused")
			}
			return nil
		}
	}
	// The writer waits inside a unit until the three are queued, then takes them as one group.
	inside, release := make(chan struct{}), make(chan struct{})
	go s.Update(ctx, func(vigil.Tx) error { close(inside); <-release; return nil })
	<-inside
	var errs []error
	queued := make(chan error)
	go func() {
		var err error
		errs, err = s.UpdateAll(ctx, []func(vigil.Tx) error{unit(0), unit(1), unit(2)})
		queued <- err
	}()
	for len(s.queue) < 3 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-queued; err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("results %v, want only the second to fail", errs)
	}
	if runs[0] != 2 || runs[1] != 2 || runs[2] != 1 {
		t.Errorf("runs %v, want [2 2 1]: the group stops at the failure and runs again with savepoints", runs)
	}
	for i, want := range []error{nil, vigil.ErrNotFound, nil} {
		if err := lookupTenant(s, fmt.Sprintf("g%d", i)); !errors.Is(err, want) {
			t.Errorf("tenant g%d: %v, want %v", i, err, want)
		}
	}
	// The three lookups above used three of the guarded groups.
	if s.guardedGroups != savepointCooldown-3 {
		t.Errorf("guarded groups left: %d, want %d", s.guardedGroups, savepointCooldown-3)
	}

	s.guardedGroups = 0
	lone := 0
	err := s.Update(ctx, func(tx vigil.Tx) error {
		lone++
		if err := tenantUnit("lone")(tx); err != nil {
			return err
		}
		return errors.New("refused")
	})
	if err == nil || lone != 1 || s.guardedGroups != 0 {
		t.Errorf("lone failing unit: err %v, %d runs, %d guarded groups; want its error, one run, none", err, lone, s.guardedGroups)
	}
	if err := lookupTenant(s, "lone"); !errors.Is(err, vigil.ErrNotFound) {
		t.Errorf("the lone unit's tenant: %v, want ErrNotFound (rolled back)", err)
	}
}

func TestDuplicateMapsToErrDuplicate(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if err := s.Update(ctx, tenantUnit("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, tenantUnit("a")); !errors.Is(err, vigil.ErrDuplicate) {
		t.Fatalf("second insert: %v, want ErrDuplicate", err)
	}
}

// TestReopenKeepsCommittedWrites: what committed is there after Close and Open, and Close leaves
// no WAL behind.
func TestReopenKeepsCommittedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, tenantUnit("kept")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Every connection really closed: the last one checkpointed and removed the WAL.
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the WAL is still there after Close: %v", err)
	}
	if err := s.Update(ctx, tenantUnit("late")); err == nil {
		t.Fatal("Update after Close succeeded")
	}
	s, err = Open(ctx, path) // migrations run again and must be a no-op
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(ctx, func(tx vigil.Tx) error {
		_, err := tx.TenantByName(ctx, "kept")
		return err
	})
	if err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

// TestCheckpointsRunBesideTheWriter: the writer never checkpoints inside a commit; the
// checkpointer copies the WAL into the database file behind it, and the WAL starts over instead
// of growing with every commit.
func TestCheckpointsRunBesideTheWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var auto int
	if err := s.writer.QueryRowContext(context.Background(), "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer's wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	s.checkpoints.wrapFrames = 20
	ctx := context.Background()
	// The migrations' frames set the file's size before the test's commits.
	before, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	const commits = 600
	for i := 0; i < commits; i++ {
		if err := s.Update(ctx, tenantUnit(fmt.Sprintf("t%d", i))); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			time.Sleep(2 * checkpointDelay) // a few rounds of the checkpointer
		}
	}
	// Every commit appends at least two frames (the tenant row and its name index): had the
	// WAL never started over, it would hold them all.
	info, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if max := int64(commits) * 4096; info.Size()-before.Size() > max/2 {
		t.Errorf("WAL grew from %d to %d bytes in %d commits (by %d if it never started over)",
			before.Size(), info.Size(), commits, 2*max)
	}
	var n int
	if err := s.read.QueryRow("SELECT count(*) FROM tenants").Scan(&n); err != nil || n != commits {
		t.Errorf("%d tenants, %v; want %d", n, err, commits)
	}
}

// TestUnitRunsToItsEndAfterItsContextEnds: once the writer took a unit, the caller's context
// ending halfway through it neither stops its statements nor keeps it from committing: Update
// waits for the outcome, and that outcome is the unit's own.
func TestUnitRunsToItsEndAfterItsContextEnds(t *testing.T) {
	s := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Update(ctx, func(tx vigil.Tx) error {
		if err := tx.CreateTenant(ctx, vigil.Tenant{ID: "a", Name: "a"}); err != nil {
			return err
		}
		cancel()
		return tx.CreateTenant(ctx, vigil.Tenant{ID: "b", Name: "b"})
	})
	if err != nil {
		t.Fatalf("Update = %v, want the unit's own outcome (nil)", err)
	}
	for _, name := range []string{"a", "b"} {
		if err := lookupTenant(s, name); err != nil {
			t.Errorf("tenant %s: %v, want committed", name, err)
		}
	}
}
