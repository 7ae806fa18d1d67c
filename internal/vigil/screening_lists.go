package vigil

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/vigil-aml/vigil/internal/screening"
)

// The kinds of list: what a match of its entries means.
const (
	ListSanctions    = "SANCTIONS"
	ListPEP          = "PEP"
	ListSanctionsPEP = "SANCTIONS+PEP"
)

// ListChange is what one import did to one list.
type ListChange struct {
	List                    ScreeningList
	Added, Changed, Removed int
	// Delta is the change itself: its added and changed entries are what ongoing screening
	// screens against existing users.
	Delta screening.Delta `json:"-"`
}

// listNames are the official lists' labels.
var listNames = map[string]string{
	screening.SourceOFAC:          "OFAC Specially Designated Nationals",
	screening.SourceEU:            "EU consolidated financial sanctions",
	screening.SourceUN:            "UN Security Council consolidated list",
	screening.SourceUK:            "UK sanctions list",
	screening.SourceOpenSanctions: "OpenSanctions",
}

// ImportLists reads published list files (each format detected from its content; the OFAC CSV
// set sdn.csv, alt.csv and add.csv read together), compares each list with its stored version
// entry by entry and stores the new, changed and removed entries. Nothing is stored unless
// every file parses, and a list read with no entries never replaces one that has some: a bad
// download leaves the good list in place. Users are then screened against the new and changed
// entries (ongoing screening, ongoing.go).
func (s *Service) ImportLists(ctx context.Context, files ...io.Reader) ([]ListChange, error) {
	bySource := map[string][]screening.Entry{}
	headers, err := screening.ParseFiles(func(e screening.Entry) error {
		bySource[e.Source] = append(bySource[e.Source], e)
		return nil
	}, files...)
	if err != nil {
		return nil, invalidf("file", "%v", err)
	}
	var changes []ListChange
	for _, h := range headers {
		entries := bySource[h.Source]
		l := ScreeningList{ID: h.Source, Source: h.Source, Name: listNames[h.Source], Kind: listKind(entries),
			Format: string(h.Format), Published: h.Published}
		c, err := s.putList(ctx, l, entries, nil)
		if err != nil {
			return changes, err
		}
		changes = append(changes, c)
	}
	if err := s.afterListChanges(ctx, changes); err != nil {
		return changes, err
	}
	return changes, nil
}

// listKind says whether a list's entries are sanctions designations, PEPs or both.
func listKind(entries []screening.Entry) string {
	var sanctioned, pep bool
	for i := range entries {
		sanctioned = sanctioned || entries[i].Sanctioned
		pep = pep || entries[i].PEP
	}
	switch {
	case pep && sanctioned:
		return ListSanctionsPEP
	case pep:
		return ListPEP
	}
	return ListSanctions
}

// errEmptyList refuses a list read with no entries in place of one that has some.
var errEmptyList = errors.New("the file has no entries; the stored list was kept")

// putList stores a version of one list as the delta from the stored one;
// also, when set, runs in the same unit (an audit record).
func (s *Service) putList(ctx context.Context, l ScreeningList, entries []screening.Entry, also func(Tx) error) (ListChange, error) {
	stored := map[string]screening.Digest{}
	err := s.store.ScreeningEntries(ctx, l.ID, func(e ScreeningEntry) error {
		b, err := hex.DecodeString(e.Digest)
		if err != nil || len(b) != len(screening.Digest{}) {
			return fmt.Errorf("stored digest of %s/%s: %q", l.ID, e.EntryID, e.Digest)
		}
		stored[e.EntryID] = screening.Digest(b)
		return nil
	})
	if err != nil {
		return ListChange{}, fmt.Errorf("read list %s: %w", l.ID, err)
	}
	if len(entries) == 0 && len(stored) > 0 && l.TenantID == "" { // a tenant may empty its own list
		return ListChange{}, invalidf("file", "list %s: %v", l.ID, errEmptyList)
	}
	seen := make(map[string]bool, len(entries))
	for i := range entries {
		if seen[entries[i].ID] {
			return ListChange{}, invalidf("file", "list %s: entry %q appears twice", l.ID, entries[i].ID)
		}
		seen[entries[i].ID] = true
	}
	d := screening.Diff(stored, entries)
	var put []ScreeningEntry
	for _, set := range [][]screening.Entry{d.Added, d.Changed} {
		for i := range set {
			body, err := json.Marshal(set[i])
			if err != nil {
				return ListChange{}, err
			}
			put = append(put, ScreeningEntry{ListID: l.ID, EntryID: set[i].ID, Digest: set[i].Digest().String(), Body: body})
		}
	}
	l.Entries, l.RefreshedAt, l.Version = len(entries), s.nowMillis(), listVersion(entries)
	if err := s.write(ctx, func(tx Tx) error {
		if err := tx.PutScreeningList(ctx, l, put, d.Removed); err != nil || also == nil {
			return err
		}
		return also(tx)
	}); err != nil {
		return ListChange{}, fmt.Errorf("store list %s: %w", l.ID, err)
	}
	return ListChange{List: l, Added: len(d.Added), Changed: len(d.Changed), Removed: len(d.Removed), Delta: d}, nil
}

// listVersion hashes a list's entry ids and digests in id order.
func listVersion(entries []screening.Entry) string {
	keys := make([]string, len(entries))
	for i := range entries {
		keys[i] = entries[i].ID + "\x00" + entries[i].Digest().String()
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// afterListChanges brings this process's index up to date and screens the existing users
// against what changed.
func (s *Service) afterListChanges(ctx context.Context, changes []ListChange) error {
	if _, err := s.RefreshLists(ctx); err != nil {
		return err
	}
	return s.screenChanges(ctx, changes)
}

// Lists returns every stored list, by id.
func (s *Service) Lists(ctx context.Context) ([]ScreeningList, error) {
	ls, err := s.store.ScreeningLists(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clip(ls), nil
}
