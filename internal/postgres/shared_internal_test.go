package postgres

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// openShared starts a shared committer on the test server (statements of its own need no
// schema), or skips when none is configured (failing in CI, like the store suite).
func openShared(t *testing.T) *sharedCommitter {
	t.Helper()
	dsn := os.Getenv("VIGIL_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("VIGIL_TEST_POSTGRES_DSN is not set in CI: the PostgreSQL suite must run")
		}
		t.Skip("no PostgreSQL server")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newSharedCommitter(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return c
}

// TestSharedCommitAnswersAFailureAlone: a pipeline whose statements all succeed answers each its
// own count; one with a failing statement is rolled back whole, the failure is that statement's
// answer, and the others go again, so their effects are there once.
func TestSharedCommitAnswersAFailureAlone(t *testing.T) {
	c := openShared(t)
	ctx := context.Background()
	table := fmt.Sprintf("shared_test_%d", os.Getpid())
	conn, err := c.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `CREATE TABLE `+table+` (k text PRIMARY KEY)`)
	conn.Release()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.pool.Exec(context.Background(), `DROP TABLE `+table) })
	insert := `WITH i AS (INSERT INTO ` + table + ` (k) VALUES ($1) RETURNING 1) SELECT count(*)::int FROM i`
	tests := []struct {
		name   string
		writes []*sharedWrite
		want   []string // each write's count, or "error"
	}{
		{"all succeed", []*sharedWrite{{key: "b", sql: insert, args: []any{"b1"}}, {key: "a", sql: insert, args: []any{"a1"}}, {key: "c", sql: `SELECT 0`}},
			[]string{"1", "1", "0"}},
		{"one fails", []*sharedWrite{{key: "a", sql: insert, args: []any{"a2"}}, {key: "b", sql: insert, args: []any{"b1"}}, {key: "c", sql: insert, args: []any{"c2"}}},
			[]string{"1", "error", "1"}},
	}
	for _, tc := range tests {
		byWrite := make(map[*sharedWrite]string)
		results := c.commit(tc.writes) // in key order
		for i, r := range results {
			got := fmt.Sprint(r.changed)
			if r.err != nil {
				got = "error"
			}
			byWrite[tc.writes[i]] = got
		}
		var got []string
		for _, w := range tc.writes {
			got = append(got, byWrite[w])
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	var keys string
	if err := c.pool.QueryRow(ctx, `SELECT string_agg(k, ' ' ORDER BY k) FROM `+table).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys != "a1 a2 b1 c2" {
		t.Fatalf("the table holds %q, want each successful insert once", keys)
	}
}

// TestSharedCommitOrdersByKey: a pipeline's statements run in the order of their keys, each
// key's own in the order they came, so that processes lock users in one order.
func TestSharedCommitOrdersByKey(t *testing.T) {
	c := openShared(t)
	seq := `SELECT $1::int`
	writes := []*sharedWrite{{key: "u2", sql: seq, args: []any{1}}, {key: "u1", sql: seq, args: []any{2}},
		{key: "u2", sql: seq, args: []any{3}}, {key: "u1", sql: seq, args: []any{4}}}
	results := c.commit(writes)
	var got []string
	for i, w := range writes {
		got = append(got, fmt.Sprintf("%s:%d", w.key, results[i].changed))
	}
	if want := "u1:2 u1:4 u2:1 u2:3"; strings.Join(got, " ") != want {
		t.Fatalf("ran %v, want %s", got, want)
	}
}

// TestSharedWritesShareOnePipeline: writes offered while a pipeline runs go in the next one
// together, and every writer gets its own answer.
func TestSharedWritesShareOnePipeline(t *testing.T) {
	c := openShared(t)
	ctx := context.Background()
	const writers = 40
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// pg_sleep holds each pipeline a moment, so the others queue up behind it.
			n, err := c.write(ctx, fmt.Sprint(i), `SELECT $1::int FROM pg_sleep(0.002)`, []any{i})
			if err == nil && n != i {
				err = fmt.Errorf("writer %d got %d", i, n)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if c.pipelines.Load() == 0 {
		t.Error("40 concurrent writes never shared a pipeline")
	}
	c.close()
	if _, err := c.write(ctx, "late", `SELECT 1`, nil); err != errSharedClosed {
		t.Fatalf("a write after close: %v, want errSharedClosed", err)
	}
}

// TestSharedCommitDoesNotWaitForLocks: a statement that would wait for a row another
// transaction holds gives up after sharedLockTimeout and answers 0 (its unit then goes on in a
// transaction of its own); the others in its pipeline commit.
func TestSharedCommitDoesNotWaitForLocks(t *testing.T) {
	c := openShared(t)
	ctx := context.Background()
	table := fmt.Sprintf("shared_lock_test_%d", os.Getpid())
	if _, err := c.pool.Exec(ctx, `CREATE TABLE `+table+` (k text PRIMARY KEY); INSERT INTO `+table+` VALUES ('held')`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.pool.Exec(context.Background(), `DROP TABLE `+table) })
	other, err := pgxpool.New(ctx, os.Getenv("VIGIL_TEST_POSTGRES_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	holder, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, `UPDATE `+table+` SET k = k WHERE k = 'held'`); err != nil {
		t.Fatal(err)
	}
	update := `WITH u AS (UPDATE ` + table + ` SET k = k WHERE k = $1 RETURNING 1) SELECT count(*)::int FROM u`
	insert := `WITH i AS (INSERT INTO ` + table + ` (k) VALUES ($1) RETURNING 1) SELECT count(*)::int FROM i`
	writes := []*sharedWrite{{key: "a", sql: update, args: []any{"held"}}, {key: "b", sql: insert, args: []any{"free"}}}
	results := c.commit(writes)
	if results[0] != (sharedResult{}) || results[1].err != nil || results[1].changed != 1 {
		t.Fatalf("results %+v; want 0 without an error for the locked row, 1 for the free one", results)
	}
	var n int
	if err := c.pool.QueryRow(ctx, `SELECT count(*)::int FROM `+table+` WHERE k = 'free'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the free row: %d (%v)", n, err)
	}
}
