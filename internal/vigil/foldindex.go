package vigil

import (
	"encoding/binary"
	"maps"
	"slices"
	"strings"

	"github.com/vigil-aml/vigil/internal/schema"
)

// The fold index lets a late event cost what it changes, not what the history holds. A profile
// is a fold of merge patches, whole-field replacements (updates) and tag merges, and each of
// them acts on its own paths: a late event's patch can only change the paths it writes, and only
// where no entry ordered after it wrote the same path (or one above it) again. So the refolded
// profile is the stored one with the patch's uncovered paths applied, and all that needs to be
// known is, for every path, the position of the newest write to it. The index keeps exactly
// that, per user, stored with the user's row and updated by every write (foldIndex.record), so a
// late event reads no history at all; whatever the index cannot decide exactly (a patch that
// replaces a field whose members were written later, a profile that is not the fold of its
// history, a user written before the index existed) refolds the whole history as before, and
// that refold writes a new index. Stored fold snapshots every K entries were the other way:
// they bound the fold before the event, but everything after it must still be folded again,
// which for an event late to the beginning is the whole history. docs/decisions.md ("A late
// event refolds only the paths it writes") has the argument.

// foldPos is an entry's place in fold order among the entries after the creation (which folds
// first and is never after anything): by timestamp, ties by arrival.
type foldPos struct{ ts, seq int64 }

func (p foldPos) after(q foldPos) bool {
	return p.ts > q.ts || (p.ts == q.ts && p.seq > q.seq)
}

// The kinds of write an index records.
const (
	// writeValue: the path was set or removed as a whole (a value that is not an object, a null,
	// a top-level field of an update).
	writeValue byte = 'v'
	// writeTouch: the path was made an object (a patch's empty object) or, for the top-level
	// tags, a list (a tag merge): a write below it, for what a replacement of the path decides.
	writeTouch byte = 't'
	// writeTag: the tags with this key were replaced by a tag merge (path is the key).
	writeTag byte = 'g'
)

// indexKey is one recorded path: object keys joined by pathSep.
type indexKey struct {
	kind byte
	path string
}

// pathSep joins the keys of a path; a key that holds it is not indexed (the user refolds).
const pathSep = "\x00"

// maxIndexWrites bounds an index: a user whose patches wrote more distinct paths (unknown fields
// with generated names, say) keeps none and refolds.
const maxIndexWrites = 256

// foldIndex is the decoded index of one user's history.
type foldIndex struct {
	// dirty is set when the stored profile may differ from the fold of the history: a late
	// write whose rules' actions were applied to the profile after the whole history, while
	// the history keeps them right after the write. Only a refold gives the fold again.
	dirty bool
	// lastConversion is the ordering timestamp of the latest change of type: nothing folds
	// before it.
	lastConversion int64
	writes         map[indexKey]foldPos
}

// newFoldIndex is the index of a history holding only its creation.
func newFoldIndex() *foldIndex { return &foldIndex{writes: map[indexKey]foldPos{}} }

// indexFormat is the first byte of a stored index.
const indexFormat = 1

// decodeFoldIndex decodes a stored index; nil (none stored, or unreadable) means the user's late
// events refold the history, which writes an index again.
func decodeFoldIndex(data []byte) *foldIndex {
	if len(data) < 2 || data[0] != indexFormat {
		return nil
	}
	ix := &foldIndex{dirty: data[1]&1 != 0}
	data = data[2:]
	var n uint64
	var ok bool
	if ix.lastConversion, data, ok = readVarint(data); !ok {
		return nil
	}
	if n, data, ok = readUvarint(data); !ok || n > maxIndexWrites {
		return nil
	}
	ix.writes = make(map[indexKey]foldPos, n)
	for range n {
		if len(data) < 1 {
			return nil
		}
		kind := data[0]
		var l uint64
		if l, data, ok = readUvarint(data[1:]); !ok || uint64(len(data)) < l {
			return nil
		}
		path := string(data[:l])
		data = data[l:]
		var p foldPos
		if p.ts, data, ok = readVarint(data); !ok {
			return nil
		}
		if p.seq, data, ok = readVarint(data); !ok {
			return nil
		}
		ix.writes[indexKey{kind, path}] = p
	}
	return ix
}

func readVarint(b []byte) (int64, []byte, bool) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

func readUvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

// encode returns the stored form of ix, its writes in key order so that the same history gives
// the same bytes; nil (no index) for nil or an index grown past maxIndexWrites.
func (ix *foldIndex) encode() []byte {
	if ix == nil || len(ix.writes) > maxIndexWrites {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(ix.writes), func(a, b indexKey) int {
		if a.kind != b.kind {
			return int(a.kind) - int(b.kind)
		}
		return strings.Compare(a.path, b.path)
	})
	out := make([]byte, 0, 16+24*len(keys))
	flags := byte(0)
	if ix.dirty {
		flags = 1
	}
	out = append(out, indexFormat, flags)
	out = binary.AppendVarint(out, ix.lastConversion)
	out = binary.AppendUvarint(out, uint64(len(keys)))
	for _, k := range keys {
		p := ix.writes[k]
		out = append(out, k.kind)
		out = binary.AppendUvarint(out, uint64(len(k.path)))
		out = append(out, k.path...)
		out = binary.AppendVarint(out, p.ts)
		out = binary.AppendVarint(out, p.seq)
	}
	return out
}

// recordEntry records a stored entry whose body is decoded; it reports false when the entry
// cannot be indexed (the index must then be dropped).
func (ix *foldIndex) recordEntry(e Entry, body schema.Object) bool {
	at := foldPos{e.Timestamp, e.Seq}
	switch e.Type {
	case EntryCreate:
		*ix = *newFoldIndex()
	case EntryUpdate:
		return ix.recordUpdate(body, at)
	case EntryEvent:
		patch, _ := body[names[e.EventKind].attributes].(schema.Object)
		return ix.recordPatch(patch, "", at)
	case EntrySystem:
		patch, _ := body["patch"].(schema.Object)
		return ix.recordPatch(patch, "", at)
	case EntryConvert:
		ix.lastConversion = max(ix.lastConversion, e.Timestamp)
	default:
		return false
	}
	return true
}

// recordUpdate records an update: each of its top-level fields replaced whole.
func (ix *foldIndex) recordUpdate(body schema.Object, at foldPos) bool {
	for k := range body {
		if strings.Contains(k, pathSep) {
			return false
		}
		ix.replaced(k, at)
	}
	return true
}

// recordPatch records a merge patch (schema.MergePatch) written at at; prefix is the path of
// patch's object ("" for the profile).
func (ix *foldIndex) recordPatch(patch schema.Object, prefix string, at foldPos) bool {
	for k, v := range patch {
		if strings.Contains(k, pathSep) {
			return false
		}
		path := joinPath(prefix, k)
		if prefix == "" && k == "tags" {
			if list, ok := v.([]any); ok {
				ix.set(indexKey{writeTouch, path}, at)
				for _, t := range list {
					key, ok := tagKey(t)
					if !ok {
						return false
					}
					ix.set(indexKey{writeTag, key}, at)
				}
				continue
			}
		}
		switch o := v.(type) {
		case schema.Object:
			if len(o) == 0 {
				ix.set(indexKey{writeTouch, path}, at)
			} else if !ix.recordPatch(o, path, at) {
				return false
			}
		default:
			ix.replaced(path, at)
		}
	}
	return true
}

// replaced records path written whole at at. What was written below it before at no longer
// decides anything (any question about it is answered by path's own write), so it is dropped:
// the index holds what the profile has now, not every path ever written.
func (ix *foldIndex) replaced(path string, at foldPos) {
	below := path + pathSep
	for k, p := range ix.writes {
		if at.after(p) && (strings.HasPrefix(k.path, below) && k.kind != writeTag ||
			k.kind == writeTouch && k.path == path || k.kind == writeTag && path == "tags") {
			delete(ix.writes, k)
		}
	}
	ix.set(indexKey{writeValue, path}, at)
}

// set records a write of k at at, unless a newer one is recorded.
func (ix *foldIndex) set(k indexKey, at foldPos) {
	if p, ok := ix.writes[k]; !ok || at.after(p) {
		ix.writes[k] = at
	}
}

func joinPath(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + pathSep + k
}

// tagKey is the key a tag merge replaces a tag by (schema.MergePatch); only string keys are
// indexed.
func tagKey(t any) (string, bool) {
	obj, ok := t.(schema.Object)
	if !ok {
		return "", false
	}
	key, ok := obj["key"].(string)
	return key, ok
}

// covered reports whether an entry after at replaced path or a path above it whole.
func (ix *foldIndex) covered(path string, at foldPos) bool {
	for {
		if p, ok := ix.writes[indexKey{writeValue, path}]; ok && p.after(at) {
			return true
		}
		i := strings.LastIndex(path, pathSep)
		if i < 0 {
			return false
		}
		path = path[:i]
	}
}

// writtenBelow reports whether an entry after at wrote below path (or made it an object or a
// tag list): a replacement of path at at would not be the whole story.
func (ix *foldIndex) writtenBelow(path string, at foldPos) bool {
	below := path + pathSep
	for k, p := range ix.writes {
		if !p.after(at) {
			continue
		}
		switch {
		case k.kind == writeTag && path == "tags",
			k.kind == writeTouch && k.path == path,
			k.kind != writeTag && strings.HasPrefix(k.path, below):
			return true
		}
	}
	return false
}

// lateProfile returns the fold of the history with a late event's patch inserted at at, given
// the stored profile previous (the fold of the history without it), or false when the index
// cannot decide it exactly. Neither previous nor patch is modified.
func (ix *foldIndex) lateProfile(previous, patch schema.Object, at foldPos) (schema.Object, bool) {
	if ix.dirty {
		return nil, false
	}
	uncovered, ok := ix.uncovered(patch, "", at)
	if !ok {
		return nil, false
	}
	var tags []any
	list, tagMerge := patch["tags"].([]any)
	if tagMerge {
		if tags, ok = ix.lateTags(previous["tags"], list, at); !ok {
			return nil, false
		}
	}
	current := schema.MergePatch(previous, uncovered)
	if tagMerge && tags != nil {
		current["tags"] = tags
	}
	return current, true
}

// uncovered returns the part of patch (prefix is its path) that no entry after at overwrote:
// the part that changes the profile. A top-level tag list is left to lateTags.
func (ix *foldIndex) uncovered(patch schema.Object, prefix string, at foldPos) (schema.Object, bool) {
	out := schema.Object{}
	for k, v := range patch {
		if strings.Contains(k, pathSep) {
			return nil, false
		}
		path := joinPath(prefix, k)
		if prefix == "" && k == "tags" {
			if _, ok := v.([]any); ok {
				continue
			}
		}
		if ix.covered(path, at) {
			continue
		}
		switch o := v.(type) {
		case schema.Object:
			if len(o) == 0 { // makes path an object: what a write below it after at did too
				out[k] = schema.Object{}
				continue
			}
			sub, ok := ix.uncovered(o, path, at)
			if !ok {
				return nil, false
			}
			if len(sub) > 0 {
				out[k] = sub
			}
		default:
			if ix.writtenBelow(path, at) {
				return nil, false // the later writes below path apply to the event's value
			}
			out[k] = v
		}
	}
	return out, true
}

// lateTags returns the top-level tags after a late tag merge (schema.MergePatch: the tags of
// the patch's keys replace the stored ones with those keys and go to the end of the list) at
// at, given stored, the tags without it. The list is ordered by when each tag was written, so
// the patch's tags whose keys nothing after at wrote again go among the stored ones by at; nil
// means the list does not change. It reports false when it cannot tell.
func (ix *foldIndex) lateTags(stored any, patch []any, at foldPos) ([]any, bool) {
	if ix.covered("tags", at) {
		return nil, true
	}
	var list []any
	if stored != nil {
		var ok bool
		if list, ok = stored.([]any); !ok {
			return nil, false
		}
	}
	uncovered := map[string]bool{}
	for _, t := range patch {
		key, ok := tagKey(t)
		if !ok {
			return nil, false
		}
		if p, ok := ix.writes[indexKey{writeTag, key}]; !ok || !p.after(at) {
			uncovered[key] = true
		}
	}
	out := make([]any, 0, len(list)+len(patch))
	inserted := false
	insert := func() {
		for _, t := range patch {
			if key, _ := tagKey(t); uncovered[key] {
				out = append(out, schema.StripNulls(schema.DeepCopy(t)))
			}
		}
		inserted = true
	}
	for _, t := range list {
		key, ok := tagKey(t)
		if !ok {
			return nil, false
		}
		if uncovered[key] {
			continue // replaced by the event's tags with that key
		}
		if p, ok := ix.writes[indexKey{writeTag, key}]; ok && p.after(at) && !inserted {
			insert()
		}
		out = append(out, t)
	}
	if !inserted {
		insert()
	}
	return out, true
}

// lateByIndex computes the profile of a late event through the user's fold index (nil: none),
// giving entry its ordering timestamp; it reports false when the history must be refolded.
func (s *Service) lateByIndex(ix *foldIndex, previous, patch schema.Object, entry *Entry, orderTs int64) (schema.Object, bool) {
	if ix == nil || s.lateEventsRefold || previous == nil {
		return nil, false
	}
	ts := max(orderTs, ix.lastConversion) // it never folds before a conversion
	current, ok := ix.lateProfile(previous, patch, foldPos{ts, entry.Seq})
	if ok {
		entry.Timestamp = ts
	}
	return current, ok
}

// after records an event's write in ix (nil: the user has no index, and keeps none) and returns
// the index to store: a change of type at orderTs when converting, the event's patch at entry's
// place and the rules' actions (system) right after it. late is set when entries are ordered
// after the event.
func (ix *foldIndex) after(converting bool, orderTs int64, entry Entry, patch, system schema.Object, late bool) []byte {
	if ix == nil {
		return nil
	}
	if converting {
		ix.lastConversion = max(ix.lastConversion, orderTs)
	}
	if !ix.recordPatch(patch, "", foldPos{entry.Timestamp, entry.Seq}) {
		return nil
	}
	if system != nil {
		if !ix.recordPatch(system, "", foldPos{entry.Timestamp, entry.Seq + 1}) {
			return nil
		}
		// The actions were applied to the profile after every entry, but the history keeps them
		// right after the event: the stored profile is no longer the history's fold.
		ix.dirty = ix.dirty || late
	}
	return ix.encode()
}

// afterUpdate records an update (validateUserId=false), ordered after every entry, in ix and
// returns the index to store.
func (ix *foldIndex) afterUpdate(entry Entry, body, system schema.Object) []byte {
	if ix == nil || !ix.recordUpdate(body, foldPos{entry.Timestamp, entry.Seq}) {
		return nil
	}
	if system != nil && !ix.recordPatch(system, "", foldPos{entry.Timestamp, entry.Seq + 1}) {
		return nil
	}
	return ix.encode()
}
