package vigil

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"

	"github.com/vigil-aml/vigil/internal/schema"
)

// sortForFold puts a history in fold order: the creation first, then by timestamp, ties by
// arrival.
func sortForFold(entries []Entry) {
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if (a.Type == EntryCreate) != (b.Type == EntryCreate) {
			return a.Type == EntryCreate
		}
		if a.Timestamp != b.Timestamp {
			return a.Timestamp < b.Timestamp
		}
		return a.Seq < b.Seq
	})
}

// fold computes a profile from a whole history, in fold order.
func (s *Service) fold(entries []Entry) (schema.Object, error) {
	profile, err := s.foldOnto(nil, entries)
	if err == nil && profile == nil {
		return nil, fmt.Errorf("history has no creation entry")
	}
	return profile, err
}

// foldOnto applies entries, in fold order, to profile (the fold of the entries before them, or
// nil for a whole history) and returns the result; profile is not modified.
func (s *Service) foldOnto(profile schema.Object, entries []Entry) (schema.Object, error) {
	sortForFold(entries)
	for _, e := range entries {
		var err error
		if profile, err = s.applyEntry(profile, e); err != nil {
			return nil, err
		}
	}
	return profile, nil
}

// foldIndexed folds a whole history, like fold, and builds the fold index of its entries but
// the one whose Seq is skip (the write being computed, which records itself). The index is nil
// when the history cannot be indexed.
func (s *Service) foldIndexed(entries []Entry, skip int64) (schema.Object, *foldIndex, error) {
	sortForFold(entries)
	var profile schema.Object
	ix := newFoldIndex()
	for _, e := range entries {
		body, err := decodeStored(e.Body)
		if err != nil {
			return nil, nil, fmt.Errorf("entry %d: %w", e.Seq, err)
		}
		if profile, err = s.applyDecoded(profile, e, body); err != nil {
			return nil, nil, err
		}
		if ix != nil && e.Seq != skip && !ix.recordEntry(e, body) {
			ix = nil
		}
	}
	if profile == nil {
		return nil, nil, fmt.Errorf("history has no creation entry")
	}
	return profile, ix, nil
}

// applyEntry applies one history entry to a profile and returns the new profile; profile is not
// modified.
func (s *Service) applyEntry(profile schema.Object, e Entry) (schema.Object, error) {
	body, err := decodeStored(e.Body)
	if err != nil {
		return nil, fmt.Errorf("entry %d: %w", e.Seq, err)
	}
	return s.applyDecoded(profile, e, body)
}

// applyDecoded is applyEntry with the entry's body decoded.
func (s *Service) applyDecoded(profile schema.Object, e Entry, body schema.Object) (schema.Object, error) {
	switch e.Type {
	case EntryCreate:
		return body, nil
	case EntryUpdate:
		return replaceTopLevel(profile, body), nil
	case EntryEvent:
		patch, _ := body[names[e.EventKind].attributes].(schema.Object)
		if patch == nil {
			return profile, nil
		}
		return schema.MergePatch(profile, patch), nil
	case EntryConvert:
		return s.convert(profile, e.EventKind), nil
	case EntrySystem:
		patch, _ := body["patch"].(schema.Object)
		return schema.MergePatch(profile, patch), nil
	}
	return nil, fmt.Errorf("entry %d: unknown type %q", e.Seq, e.Type)
}

// convert returns the profile of a user that becomes a user of kind to: the fields only the
// other type knows are dropped; everything else (userId, createdTimestamp, state, KYC status,
// tags, risk levels, every shared field and unknown fields) is kept.
func (s *Service) convert(profile schema.Object, to Kind) schema.Object {
	out := make(schema.Object, len(profile))
	for k, v := range profile {
		if !s.foreignFields[to][k] {
			out[k] = v
		}
	}
	return out
}

// conversionBody is the stored body of an EntryConvert.
func conversionBody(from, to Kind) []byte {
	return mustEncode(map[string]Kind{"from": from, "to": to})
}

// replaceTopLevel returns profile with each top-level field of body replacing the stored one;
// fields body omits are kept.
func replaceTopLevel(profile, body schema.Object) schema.Object {
	// maps.Clone copies a table whole, at about half the cost of filling a new map.
	if profile == nil {
		profile, body = body, nil
	}
	out := maps.Clone(profile)
	if out == nil {
		out = schema.Object{}
	}
	for k, v := range body {
		out[k] = v
	}
	return out
}

// decodeStored decodes JSON the service wrote itself.
func decodeStored(data []byte) (schema.Object, error) {
	obj, err := schema.DecodeObject(data)
	if err != nil {
		return nil, fmt.Errorf("stored JSON: %w", err)
	}
	return obj, nil
}

// millis reads an epoch-milliseconds field that validation has already checked.
func millis(v any) int64 {
	switch n := v.(type) {
	case json.Number:
		f, _ := n.Float64()
		return int64(f)
	case float64:
		return int64(n)
	}
	return 0
}
