package vigil

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sort"

	"github.com/vigil-aml/vigil/internal/schema"
)

// timelineEntry is one entry of GET /{consumer|business}/users/{userId}/timeline.
type timelineEntry struct {
	Seq       int64     `json:"seq"`
	Type      EntryType `json:"type"`
	Timestamp int64     `json:"timestamp"`
	// CreatedAt is when Vigil stored the entry.
	CreatedAt int64  `json:"createdAt"`
	EventID   string `json:"eventId,omitempty"`
	// Reason is an event's reason; Origin and Actor say who made it when it says (CONSOLE and
	// the analyst for the console's actions).
	Reason string `json:"reason,omitempty"`
	Origin string `json:"origin,omitempty"`
	Actor  string `json:"actor,omitempty"`
	// Changes are the fields the entry changed in the profile, by folding the history.
	Changes []fieldChange `json:"changes"`
}

// fieldChange is one field an entry changed: its path (object keys joined by dots; an array is
// one field) and its values before and after (absent when the field was absent).
type fieldChange struct {
	Path   string `json:"path"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

// Timeline handles GET /consumer/users/{userId}/timeline and its business twin: every create,
// update, event and change Vigil made of the user, newest first (in the order the history
// folds: by timestamp, ties by arrival), each with the fields it changed.
func (s *Service) Timeline(ctx context.Context, tenant Tenant, kind Kind, userID string) ([]byte, error) {
	rec, entries, err := s.userHistory(ctx, tenant, kind, userID)
	if err != nil {
		return nil, err
	}
	out := make([]timelineEntry, 0, len(entries))
	var profile schema.Object
	for _, e := range entries {
		after, err := s.applyEntry(profile, e)
		if err != nil {
			return nil, err
		}
		changes := diffFields("", profile, after, nil)
		if changes == nil {
			changes = []fieldChange{}
		}
		te := timelineEntry{Seq: e.Seq, Type: e.Type, Timestamp: e.Timestamp, CreatedAt: e.CreatedAt, EventID: e.EventID, Changes: changes}
		if e.Type == EntryEvent {
			if body, err := decodeStored(e.Body); err == nil {
				te.Reason, te.Origin, te.Actor = stringAt(body, "reason"), stringAt(body, "origin"), stringAt(body, "actor")
			}
		}
		out = append(out, te)
		profile = after
	}
	slices.Reverse(out)
	return mustEncode(map[string]any{"userId": rec.UserID, "entries": out}), nil
}

// UserAsOf handles GET /{consumer|business}/users/{userId}?asOf=EPOCH_MS: the user as it was
// right after the last history entry whose timestamp is at or before asOf, in GET's shape: the
// folded profile with the rule and risk results in force then (UserAt says which).
func (s *Service) UserAsOf(ctx context.Context, tenant Tenant, kind Kind, userID string, asOf int64) ([]byte, error) {
	at, err := s.pointInTime(ctx, tenant, kind, userID, asOf, 0)
	if err != nil {
		return nil, err
	}
	return withFields(at.Profile, at.Results), nil
}

// userHistory reads a user of one kind and its history in fold order.
func (s *Service) userHistory(ctx context.Context, tenant Tenant, kind Kind, userID string) (UserRecord, []Entry, error) {
	rec, err := s.store.User(ctx, tenant.ID, userID)
	if errors.Is(err, ErrNotFound) || (err == nil && rec.Kind != kind) {
		return rec, nil, notFoundOrErased(ctx, s.store.ErasedAt, tenant.ID, userID, notFoundf("No %s with userId %q", names[kind].noun, userID))
	}
	if err != nil {
		return rec, nil, err
	}
	entries, err := s.store.UserEntries(ctx, tenant.ID, rec.UID)
	if err != nil {
		return rec, nil, err
	}
	// Entries written after the row was read are not part of the version read.
	entries = slices.DeleteFunc(entries, func(e Entry) bool { return e.Seq > rec.LastSeq })
	sortForFold(entries)
	return rec, entries, nil
}

// diffFields appends to changes the fields that differ between before and after, sorted by
// path, descending into objects; prefix is the path of the objects.
func diffFields(prefix string, before, after schema.Object, changes []fieldChange) []fieldChange {
	keys := make([]string, 0, len(before)+len(after))
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, inBefore := before[k]
		a, inAfter := after[k]
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		bo, bIsObj := b.(schema.Object)
		ao, aIsObj := a.(schema.Object)
		switch {
		case bIsObj && aIsObj:
			changes = diffFields(path, bo, ao, changes)
		case inBefore && inAfter && reflect.DeepEqual(a, b):
		default:
			changes = append(changes, fieldChange{Path: path, Before: b, After: a})
		}
	}
	return changes
}
