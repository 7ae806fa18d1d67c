package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// testEntryResults checks that an entry's results (its evaluation, response, shadow and risk) are
// read back by EntryResults, whichever write stored it: InsertEntry, WriteUser and the
// conditional WriteUserIf.
func testEntryResults(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	entry := func(seq int64, risk string) vigil.Entry {
		e := vigil.Entry{TenantID: "t1", UserUID: "uid-1", Seq: seq, Type: vigil.EntryEvent, Timestamp: 100 + seq,
			EventKind: vigil.Consumer, EventID: "e" + string(rune('0'+seq)), Body: []byte(`{"b":1}`), RequestHash: []byte{byte(seq)},
			Response: []byte(`{"r":` + string(rune('0'+seq)) + `}`), Shadow: []byte(`[]`), CreatedAt: 200 + seq}
		if risk != "" {
			e.Risk = []byte(risk)
		}
		return e
	}
	u := sampleUser("t1", "uid-1", "alice")
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.InsertUser(ctx, u); err != nil {
			return err
		}
		return tx.InsertEntry(ctx, entry(1, `{"kyc":{"score":10}}`))
	})
	u.LastSeq = 2
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.WriteUser(ctx, u, false, []vigil.Entry{entry(2, `{"kyc":{"score":20}}`)}, nil, auditRecord("t1", "a2", 2))
	})
	based := vigil.UserVersion{UserID: "alice", UID: "uid-1", LastSeq: 2}
	u.LastSeq = 4
	var done bool
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		var err error
		done, err = tx.WriteUserIf(ctx, based, u, []vigil.Entry{entry(3, `{"kyc":{"score":30}}`), entry(4, "")}, nil, auditRecord("t1", "a3", 3))
		return err
	})
	if !done {
		t.Fatal("WriteUserIf on the current version wrote nothing")
	}
	for seq, risk := range map[int64]string{1: `{"kyc":{"score":10}}`, 2: `{"kyc":{"score":20}}`, 3: `{"kyc":{"score":30}}`, 4: ""} {
		want := entry(seq, risk)
		got, err := s.EntryResults(ctx, "t1", "uid-1", seq)
		if err != nil {
			t.Fatalf("EntryResults(%d): %v", seq, err)
		}
		if got.Seq != seq || got.Type != want.Type || got.Timestamp != want.Timestamp || got.EventID != want.EventID ||
			got.EventKind != want.EventKind || !bytes.Equal(got.Body, want.Body) || !bytes.Equal(got.RequestHash, want.RequestHash) ||
			!bytes.Equal(got.Response, want.Response) || !bytes.Equal(got.Shadow, want.Shadow) || got.CreatedAt != want.CreatedAt ||
			!bytes.Equal(got.Risk, want.Risk) || (risk == "" && got.Risk != nil) {
			t.Errorf("EntryResults(%d) = %+v, want %+v", seq, got, want)
		}
	}
	for _, miss := range []struct {
		tenant, uid string
		seq         int64
	}{{"t1", "uid-1", 5}, {"t2", "uid-1", 1}, {"t1", "uid-2", 1}} {
		if _, err := s.EntryResults(ctx, miss.tenant, miss.uid, miss.seq); !errors.Is(err, vigil.ErrNotFound) {
			t.Errorf("EntryResults(%v) = %v, want ErrNotFound", miss, err)
		}
	}
}

// testUserDeliveries checks a user's deliveries: only its order key's, in its tenant, newest
// first (created, then seq, then id), a page at a time after a cursor.
func testUserDeliveries(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	at := func(id, key string, seq, created int64) vigil.Delivery {
		d := delivery(id, key, seq)
		d.CreatedAt = created
		return d
	}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		other := at("x1", "uid-1", 1, 500)
		other.TenantID = "t2"
		for _, d := range []vigil.Delivery{at("a1", "uid-1", 16, 100), at("a2", "uid-1", 17, 100), at("a3", "uid-1", 32, 300),
			at("a4", "uid-1", 32, 300), at("b1", "uid-2", 16, 400), at("a5", "uid-1", 48, 200), other} {
			if err := tx.InsertDelivery(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	all, err := s.UserDeliveries(ctx, "t1", "uid-1", vigil.DeliveryCursor{}, 10)
	if err != nil || ids(all) != "[a4 a3 a5 a2 a1]" {
		t.Fatalf("UserDeliveries = %s, %v; want [a4 a3 a5 a2 a1]", ids(all), err)
	}
	var pages []string
	var after vigil.DeliveryCursor
	for range 4 {
		page, err := s.UserDeliveries(ctx, "t1", "uid-1", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, ids(page))
		if len(page) == 0 {
			break
		}
		last := page[len(page)-1]
		after = vigil.DeliveryCursor{CreatedAt: last.CreatedAt, Seq: last.Seq, ID: last.ID}
	}
	if got := pages; len(got) != 4 || got[0] != "[a4 a3]" || got[1] != "[a5 a2]" || got[2] != "[a1]" || got[3] != "[]" {
		t.Fatalf("pages of 2 = %v", got)
	}
	if got, err := s.UserDeliveries(ctx, "t2", "uid-2", vigil.DeliveryCursor{}, 10); err != nil || len(got) != 0 {
		t.Fatalf("another tenant's listing = %s, %v", ids(got), err)
	}
}
