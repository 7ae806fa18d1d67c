package sqlite

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// execUnit runs statements in one unit on the writer.
func execUnit(ctx context.Context, s *Store, statements func(q txQueries) error) error {
	return s.Update(ctx, func(tx vigil.Tx) error { return statements(tx.(*sqlTx).q()) })
}

// TestWALWritesAreCombined commits transactions of a few pages, of more than one write of the
// default VFS takes, and of more than the buffer holds, and checks that each commit's frames
// took few calls, that another connection reads each commit as soon as it is acknowledged, and
// that the file reopened holds every row and passes SQLite's integrity check.
func TestWALWritesAreCombined(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := execUnit(ctx, s, func(q txQueries) error {
		_, err := q.ExecContext(ctx, `CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	blob := func(id int) []byte { return bytes.Repeat([]byte{byte(id)}, 3000) }
	next := 0
	for _, tc := range []struct {
		name string
		rows int // 3,000-byte rows: a page each
	}{
		{"a few pages", 10},
		{"more than one write takes", 100},
		{"more than the buffer holds", 3 * walBufferSize / 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writes, flushes := walShim.writes.Load(), walShim.flushes.Load()
			err := execUnit(ctx, s, func(q txQueries) error {
				for range tc.rows {
					next++
					if _, err := q.ExecContext(ctx, `INSERT INTO blobs (id, b) VALUES (?, ?)`, next, blob(next)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			writes, flushes = walShim.writes.Load()-writes, walShim.flushes.Load()-flushes
			// Two writes a frame, a frame a page (and a few more: the B-tree's interior pages); a call
			// takes up to maxWrite bytes.
			if most := int64(tc.rows*4120/maxWrite + tc.rows/64 + 3); writes < 2*int64(tc.rows) || flushes > most {
				t.Errorf("%d rows: SQLite wrote %d times in %d calls, want at least %d writes in at most %d calls",
					tc.rows, writes, flushes, 2*tc.rows, most)
			}
			var n int
			var last []byte
			if err := s.read.QueryRowContext(ctx, `SELECT count(*), (SELECT b FROM blobs WHERE id = ?) FROM blobs`, next).Scan(&n, &last); err != nil {
				t.Fatal(err)
			}
			if n != next || !bytes.Equal(last, blob(next)) {
				t.Errorf("another connection reads %d rows (the last one right: %t), want %d", n, bytes.Equal(last, blob(next)), next)
			}
		})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	var check string
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM blobs WHERE length(b) = 3000`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := s.read.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil {
		t.Fatal(err)
	}
	if n != next || check != "ok" {
		t.Errorf("reopened: %d rows, integrity %q; want %d and ok", n, check, next)
	}
}
