package vigil

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vigil-aml/vigil/internal/screening"
)

// listIndex is the process's in-memory screening index over every stored list. The store is the
// truth: the index is built from it at start and brought up to date when the store's screening
// version moves (RefreshLists, polled by the server like keys and rate limits), so several
// processes on one PostgreSQL database each notice a list imported by another.
type listIndex struct {
	// mu serialises refreshes; the index itself is safe for concurrent searches.
	mu sync.Mutex
	ix *screening.Index
	// version is the store's screening version the index reflects (-1: never loaded); atomic,
	// so a write does not wait for a refresh in progress.
	version atomic.Int64
	// headers is a snapshot of lists for readers outside a refresh (listOf, entryOfHit).
	headers atomic.Pointer[map[string]ScreeningList]
	// lists are the headers loaded, by list id; digests the entries' digests per list, to
	// apply a new version as a delta.
	lists   map[string]ScreeningList
	digests map[string]map[string]screening.Digest
	// memo keeps recent screenings (screening_write.go) for the version they were made on.
	memo screenMemo
	// searches counts the searches made (Service.ScreeningSearches).
	searches atomic.Int64
}

func newListIndex() *listIndex {
	li := &listIndex{ix: screening.NewIndex(), lists: map[string]ScreeningList{},
		digests: map[string]map[string]screening.Digest{}, memo: screenMemo{m: map[string]screenOutcome{}}}
	li.version.Store(-1)
	li.headers.Store(&map[string]ScreeningList{})
	return li
}

// tenantListPrefix starts the id (and the entries' source) of a tenant's own list.
const tenantListPrefix = "tenant:"

// tenantListID is the id of a tenant's own list.
func tenantListID(tenantID, name string) string { return tenantListPrefix + tenantID + ":" + name }

// visibleTo reports whether a list's entries screen the tenant's users: official lists screen
// every tenant, a tenant's own list only that tenant.
func visibleTo(source, tenantID string) bool {
	if !strings.HasPrefix(source, tenantListPrefix) {
		return true
	}
	return strings.HasPrefix(source, tenantListPrefix+tenantID+":")
}

// current returns the version the index reflects and whether it holds any entry.
func (li *listIndex) current() (int64, bool) {
	return li.version.Load(), li.ix.Len() > 0
}

// RefreshLists brings the process's screening index up to date with the store: nothing when the
// store's screening version has not moved; otherwise the lists whose version changed are read
// and applied as deltas (a list removed from the store is removed from the index). It reports
// the deltas applied, by list id.
func (s *Service) RefreshLists(ctx context.Context) (map[string]screening.Delta, error) {
	li := s.lists
	li.mu.Lock()
	defer li.mu.Unlock()
	v, err := s.store.ScreeningVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the screening version: %w", err)
	}
	if v == li.version.Load() {
		return nil, nil
	}
	stored, err := s.store.ScreeningLists(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the screening lists: %w", err)
	}
	deltas := map[string]screening.Delta{}
	seen := map[string]bool{}
	for _, l := range stored {
		seen[l.ID] = true
		if old, ok := li.lists[l.ID]; ok && old.Version == l.Version {
			li.lists[l.ID] = l // the refresh time may have moved
			continue
		}
		var entries []screening.Entry
		err := s.store.ScreeningEntries(ctx, l.ID, func(e ScreeningEntry) error {
			var entry screening.Entry
			if err := json.Unmarshal(e.Body, &entry); err != nil {
				return fmt.Errorf("list %s entry %s: %w", l.ID, e.EntryID, err)
			}
			entries = append(entries, entry)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read list %s: %w", l.ID, err)
		}
		d := screening.Diff(li.digests[l.ID], entries)
		li.ix.Apply(l.ID, d)
		digests := make(map[string]screening.Digest, len(entries))
		for i := range entries {
			digests[entries[i].ID] = entries[i].Digest()
		}
		li.digests[l.ID], li.lists[l.ID] = digests, l
		deltas[l.ID] = d
	}
	for id := range li.lists {
		if seen[id] {
			continue
		}
		var d screening.Delta
		for entryID := range li.digests[id] {
			d.Removed = append(d.Removed, entryID)
		}
		li.ix.Apply(id, d)
		delete(li.lists, id)
		delete(li.digests, id)
		deltas[id] = d
	}
	headers := make(map[string]ScreeningList, len(li.lists))
	for id, l := range li.lists {
		headers[id] = l
	}
	li.headers.Store(&headers)
	li.version.Store(v)
	li.memo.reset()
	return deltas, nil
}

// search screens one name for a tenant: the matches of the lists the tenant sees.
func (li *listIndex) search(tenantID string, q screening.Query, threshold float64) []screening.Match {
	li.searches.Add(1)
	matches := li.ix.Search(q, screening.SearchOptions{Threshold: threshold})
	kept := matches[:0]
	for _, m := range matches {
		if visibleTo(m.Entry.Source, tenantID) {
			kept = append(kept, m)
		}
	}
	return kept
}

// listOf returns the header of the list an entry source belongs to.
func (li *listIndex) listOf(source string) ScreeningList {
	return (*li.headers.Load())[source]
}
