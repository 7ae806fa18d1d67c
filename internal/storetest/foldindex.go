package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// testFoldIndex checks a user's fold index (vigil.UserRecord.FoldIndex): every write stores it
// as given (an insert, an update, a write computed ahead, none at all), every read returns it,
// pruning history clears it (it places writes by entries that are gone), and an erasure takes it
// with the user's row.
func testFoldIndex(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	read := func(want []byte) {
		t.Helper()
		got, err := s.User(ctx, "t1", "alice")
		if err != nil || !bytes.Equal(got.FoldIndex, want) {
			t.Fatalf("User: index %x, %v; want %x", got.FoldIndex, err, want)
		}
		withResponse, _, err := s.UserWithResponse(ctx, "t1", "alice")
		if err != nil || !bytes.Equal(withResponse.FoldIndex, want) {
			t.Fatalf("UserWithResponse: index %x, %v; want %x", withResponse.FoldIndex, err, want)
		}
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
			locked, err := tx.LockUser(ctx, "t1", "alice")
			if err != nil || !bytes.Equal(locked.FoldIndex, want) {
				t.Errorf("LockUser: index %x, %v; want %x", locked.FoldIndex, err, want)
			}
			return err
		})
	}
	u := sampleUser("t1", "uid-1", "alice")
	u.FoldIndex = []byte{1, 0, 0, 0}
	entry := func(seq int64, typ vigil.EntryType) vigil.Entry {
		return vigil.Entry{TenantID: "t1", UserUID: "uid-1", Seq: seq, Type: typ, Timestamp: seq, EventKind: vigil.Consumer,
			Body: []byte(`{}`), Response: []byte(`{}`)}
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.WriteUser(ctx, u, true, []vigil.Entry{entry(1, vigil.EntryCreate)}, nil, auditRecord("t1", "a1", 1))
	})
	read(u.FoldIndex)

	u.FoldIndex, u.LastSeq = []byte{1, 0, 0, 1, 'v', 1, 'a', 4, 4}, 2
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.WriteUser(ctx, u, false, []vigil.Entry{entry(2, vigil.EntryEvent)}, nil, auditRecord("t1", "a2", 2))
	})
	read(u.FoldIndex)

	based := vigil.UserVersion{UserID: "alice", UID: "uid-1", LastSeq: 2}
	u.FoldIndex, u.LastSeq = []byte{1, 1, 0, 0}, 3
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		done, err := tx.WriteUserIf(ctx, based, u, []vigil.Entry{entry(3, vigil.EntryEvent)}, nil, auditRecord("t1", "a3", 3))
		if err == nil && !done {
			err = errors.New("WriteUserIf on the current version wrote nothing")
		}
		return err
	})
	read(u.FoldIndex)

	u.FoldIndex = nil // a user written without one
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.UpdateUser(ctx, u) })
	read(nil)

	u.FoldIndex = []byte{1, 0, 0, 0}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.UpdateUser(ctx, u) })
	read(u.FoldIndex)
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.PruneEntries(ctx, "t1", "uid-1", 1, []byte(`{"folded":true}`), []int64{2})
	})
	read(nil)

	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.UpdateUser(ctx, u) })
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		rec, err := tx.LockUser(ctx, "t1", "alice")
		if err != nil {
			return err
		}
		return tx.EraseUser(ctx, vigil.Erasure{User: rec, Key: vigil.ErasedUserKey("t1", "alice"), At: 9,
			QuotedID: `"alice"`, Redacted: `"[erased]"`})
	})
	if got, err := s.User(ctx, "t1", "alice"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("after the erasure: %+v, %v; want ErrNotFound", got, err)
	}
}
