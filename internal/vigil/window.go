package vigil

import (
	"bytes"
	"slices"

	"github.com/vigil-aml/vigil/internal/schema"
)

// foldWindow lets a late event refold from the profile before a user's last few writes instead
// of from its whole history (which a late event otherwise reads and folds: linear in its
// length). base is the fold of every entry up to baseSeq, none of them ordered after baseMaxTs
// (the user's maxTimestamp then); tail holds the entries written since, in arrival order, none
// ordered before baseMaxTs. An event ordered at or after baseMaxTs therefore folds after all of
// base, and the fold of base, the tail and the event is the fold of the whole history with it.
// A window is kept with a cached user's state and shared like it: nothing modifies it.
type foldWindow struct {
	base      schema.Object
	baseSeq   int64
	baseMaxTs int64
	tail      []windowEntry
}

// windowEntry is what folding needs of a history entry, its body copied to its own length: a
// cached window keeps it for as long as the user stays cached.
type windowEntry struct {
	seq, timestamp int64
	typ            EntryType
	eventKind      Kind
	body           []byte
}

func (e windowEntry) entry() Entry {
	return Entry{Seq: e.seq, Type: e.typ, Timestamp: e.timestamp, EventKind: e.eventKind, Body: e.body}
}

// maxWindowTail bounds a window's tail: after that many entries a window starts again from the
// state before the latest write. Under bench/run's load a tail of 2, 4 or 8 entries left the
// same number of full refolds (late events there trail one concurrent write).
const maxWindowTail = 2

// covers reports whether w describes rec's history up to its last entry and can fold an event
// ordered at ts.
func (w *foldWindow) covers(rec UserRecord, ts int64) bool {
	return w.describes(rec) && ts >= w.baseMaxTs
}

// entries returns w's tail as history entries, for folding onto w's base.
func (w *foldWindow) entries() []Entry {
	out := make([]Entry, 0, len(w.tail)+1) // room for the late event
	for _, e := range w.tail {
		out = append(out, e.entry())
	}
	return out
}

func (w *foldWindow) lastSeq() int64 {
	if len(w.tail) == 0 {
		return w.baseSeq
	}
	return w.tail[len(w.tail)-1].seq
}

// windowAfter is the window of a user after a write of entries that was computed on rec (whose
// window is w, nil if none) and whose profile before it was previous. An in-order write keeps
// w's base, or starts from previous when w has no room; a late write folded through w extends
// it; refolded was the whole history (or the write converted the user): no window.
func windowAfter(w *foldWindow, rec UserRecord, previous schema.Object, entries []Entry, inOrder, throughWindow bool) *foldWindow {
	if !inOrder && !throughWindow {
		return nil
	}
	if w.describes(rec) && len(w.tail)+len(entries) <= maxWindowTail {
		return &foldWindow{base: w.base, baseSeq: w.baseSeq, baseMaxTs: w.baseMaxTs, tail: appendWindowEntries(slices.Clip(w.tail), entries)}
	}
	if !inOrder || previous == nil {
		return nil
	}
	return &foldWindow{base: previous, baseSeq: rec.LastSeq, baseMaxTs: rec.MaxTimestamp, tail: appendWindowEntries(nil, entries)}
}

// describes reports whether w ends at rec's last entry.
func (w *foldWindow) describes(rec UserRecord) bool {
	return w != nil && w.lastSeq() == rec.LastSeq
}

// appendWindowEntries appends what folding needs of entries.
func appendWindowEntries(tail []windowEntry, entries []Entry) []windowEntry {
	for _, e := range entries {
		tail = append(tail, windowEntry{seq: e.Seq, timestamp: e.Timestamp, typ: e.Type, eventKind: e.EventKind, body: bytes.Clone(e.Body)})
	}
	return tail
}

// size is about the bytes of stored JSON w holds, for the user cache's budget.
func (w *foldWindow) size(profileBytes int) int64 {
	if w == nil {
		return 0
	}
	n := int64(profileBytes) // the base, about as large as the profile
	for _, e := range w.tail {
		n += int64(len(e.body))
	}
	return n
}
