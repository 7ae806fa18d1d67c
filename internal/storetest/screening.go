package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// testScreeningLists checks lists and their entries: a version applied as a delta, the
// screening version that moves with every change (and not with a failed unit), searches stored
// once whatever the reruns, and clearings replaced by user and hit.
func testScreeningLists(t *testing.T, s vigil.Store) {
	ctx := context.Background()
	version := func() int64 {
		t.Helper()
		v, err := s.ScreeningVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	entries := func(listID string) string {
		t.Helper()
		var out []string
		if err := s.ScreeningEntries(ctx, listID, func(e vigil.ScreeningEntry) error {
			out = append(out, e.EntryID+"="+e.Digest+":"+string(e.Body))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, " ")
	}
	lists := func() string {
		t.Helper()
		ls, err := s.ScreeningLists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range ls {
			out = append(out, fmt.Sprintf("%s/%s/%s/%s/%s/%s/%d/%d/%s", l.ID, l.TenantID, l.Source, l.Name, l.Kind, l.Published, l.Entries, l.RefreshedAt, l.Version))
		}
		return strings.Join(out, " ")
	}
	v0 := version()
	ofac := vigil.ScreeningList{ID: "OFAC-SDN", Source: "OFAC-SDN", Name: "OFAC", Kind: "SANCTIONS", Format: "ofac-sdn-xml",
		Published: "2024-11-29", Entries: 2, RefreshedAt: 10, Version: "v1"}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.PutScreeningList(ctx, ofac, []vigil.ScreeningEntry{
			{EntryID: "1", Digest: "d1", Body: []byte(`{"ID":"1"}`)}, {EntryID: "2", Digest: "d2", Body: []byte(`{"ID":"2"}`)}}, nil)
	})
	if got, want := entries("OFAC-SDN"), `1=d1:{"ID":"1"} 2=d2:{"ID":"2"}`; got != want {
		t.Fatalf("entries %q, want %q", got, want)
	}
	v1 := version()
	if v1 == v0 {
		t.Fatal("the screening version did not move with a new list")
	}
	// The next version: entry 1 changed, 2 removed, 3 added.
	ofac.Version, ofac.RefreshedAt, ofac.Published = "v2", 20, "2024-12-01"
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.PutScreeningList(ctx, ofac, []vigil.ScreeningEntry{
			{EntryID: "1", Digest: "d1b", Body: []byte(`{"ID":"1","Name":"b"}`)}, {EntryID: "3", Digest: "d3", Body: []byte(`{"ID":"3"}`)}}, []string{"2"})
	})
	if got, want := entries("OFAC-SDN"), `1=d1b:{"ID":"1","Name":"b"} 3=d3:{"ID":"3"}`; got != want {
		t.Fatalf("entries after a delta %q, want %q", got, want)
	}
	own := vigil.ScreeningList{ID: "tenant:t1:vip", TenantID: "t1", Source: "tenant:t1:vip", Name: "vip", Kind: "PEP", Entries: 1, RefreshedAt: 30, Version: "o1"}
	mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
		return tx.PutScreeningList(ctx, own, []vigil.ScreeningEntry{{EntryID: "a", Digest: "da", Body: []byte(`{}`)}}, nil)
	})
	if got, want := lists(), "OFAC-SDN//OFAC-SDN/OFAC/SANCTIONS/2024-12-01/2/20/v2 tenant:t1:vip/t1/tenant:t1:vip/vip/PEP//1/30/o1"; got != want {
		t.Fatalf("lists %q, want %q", got, want)
	}
	v2 := version()
	if v2 == v1 {
		t.Fatal("the screening version did not move")
	}
	boom := errors.New("boom")
	if err := update(t, s, func(ctx context.Context, tx vigil.Tx) error {
		if err := tx.PutScreeningList(ctx, ofac, nil, []string{"1", "3"}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failed unit: %v", err)
	}
	if version() != v2 || entries("OFAC-SDN") == "" {
		t.Fatal("a failed unit changed the lists")
	}

	// Searches: stored once, a second put of the same id is a no-op.
	search := vigil.ScreeningSearch{TenantID: "t1", SearchID: "s1", UserID: "u1", CreatedAt: 5, Body: []byte(`{"a":1}`)}
	for range 2 {
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error {
			return tx.PutScreeningSearches(ctx, []vigil.ScreeningSearch{search})
		})
		search.Body = []byte(`{"a":2}`)
	}
	got, err := s.ScreeningSearch(ctx, "t1", "s1")
	if err != nil || string(got.Body) != `{"a":1}` || got.UserID != "u1" || got.CreatedAt != 5 {
		t.Fatalf("search %+v, %v", got, err)
	}
	if _, err := s.ScreeningSearch(ctx, "t2", "s1"); !errors.Is(err, vigil.ErrNotFound) {
		t.Fatalf("another tenant's search: %v", err)
	}

	// Clearings: replaced by (tenant, user, hit).
	for _, c := range []vigil.ScreeningClearing{
		{TenantID: "t1", UserID: "u1", HitID: "OFAC-SDN:1", Digest: "d1", Reason: "other person", Actor: "key:a", CreatedAt: 1},
		{TenantID: "t1", UserID: "u1", HitID: "OFAC-SDN:1", Digest: "d1b", Reason: "still other", Actor: "key:b", CreatedAt: 2},
		{TenantID: "t1", UserID: "u1", HitID: "OFAC-SDN:3", Digest: "d3", Reason: "x", Actor: "cli", CreatedAt: 3},
		{TenantID: "t1", UserID: "u2", HitID: "OFAC-SDN:3", Digest: "d3", Reason: "y", Actor: "cli", CreatedAt: 4},
	} {
		mustUpdate(t, s, func(ctx context.Context, tx vigil.Tx) error { return tx.PutScreeningClearing(ctx, c) })
	}
	cs, err := s.ScreeningClearings(ctx, "t1", "u1")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s=%s/%s/%s/%d", c.HitID, c.Digest, c.Reason, c.Actor, c.CreatedAt))
	}
	if got, want := strings.Join(out, " "), "OFAC-SDN:1=d1b/still other/key:b/2 OFAC-SDN:3=d3/x/cli/3"; got != want {
		t.Fatalf("clearings %q, want %q", got, want)
	}
}
