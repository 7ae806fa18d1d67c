package vigil

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vigil-aml/vigil/internal/schema"
)

// randomPatch is a merge patch over a few paths that collide on purpose: values, removals, empty
// objects and objects at the same places, and tag merges with repeated keys.
func randomPatch(rng *rand.Rand, depth int) schema.Object {
	out := schema.Object{}
	keys := []string{"a", "b", "c"}
	for range 1 + rng.IntN(2) {
		k := keys[rng.IntN(len(keys))]
		if depth == 0 && rng.IntN(4) == 0 {
			k = "tags"
		}
		out[k] = randomValue(rng, depth, k == "tags" && depth == 0)
	}
	return out
}

func randomValue(rng *rand.Rand, depth int, tags bool) any {
	if tags {
		switch rng.IntN(6) {
		case 0:
			return nil
		case 1:
			return []any{}
		}
		var list []any
		for range 1 + rng.IntN(3) {
			list = append(list, schema.Object{"key": fmt.Sprint("k", rng.IntN(3)), "value": fmt.Sprint(rng.IntN(100))})
		}
		return list
	}
	switch r := rng.IntN(7); {
	case r == 0:
		return nil
	case r == 1:
		return schema.Object{}
	case r == 2:
		return []any{fmt.Sprint(rng.IntN(9))}
	case r <= 4 || depth >= 2:
		return fmt.Sprint("v", rng.IntN(100))
	default:
		return randomPatch(rng, depth+1)
	}
}

func eventEntry(seq, ts int64, patch schema.Object) Entry {
	return Entry{Seq: seq, Type: EntryEvent, EventKind: Consumer, Timestamp: ts,
		Body: mustEncode(schema.Object{"updatedConsumerUserAttributes": patch})}
}

// TestLateProfileIsTheRefold builds random histories (creation, events, updates, rules'
// actions, in random order of arrival with late ones among them), keeps each history's index as
// the write path does (entry by entry, as they arrive), and inserts one more event anywhere: the
// index's profile, whenever it gives one, must be the refold of the whole history byte for byte,
// and it must give one for most events. The stored index must decode to the same answers.
func TestLateProfileIsTheRefold(t *testing.T) {
	s := &Service{}
	decided, undecided := 0, 0
	for seed := range uint64(3000) {
		rng := rand.New(rand.NewPCG(seed, 7))
		create := Entry{Seq: 1, Type: EntryCreate, Timestamp: 0,
			Body: mustEncode(schema.Object{"a": schema.Object{"x": "0"}, "tags": []any{schema.Object{"key": "k1", "value": "c"}}})}
		history := []Entry{create}
		ix := newFoldIndex()
		ix.recordEntry(create, nil)
		seq := int64(1)
		for range rng.IntN(12) {
			seq++
			ts := int64(rng.IntN(20))
			var e Entry
			var body schema.Object
			switch rng.IntN(8) {
			case 0:
				body = schema.StripNulls(randomPatch(rng, 0)).(schema.Object)                 // a create body: no nulls
				e = Entry{Seq: seq, Type: EntryUpdate, Timestamp: 20, Body: mustEncode(body)} // after everything
			case 1:
				body = schema.Object{"patch": randomPatch(rng, 0)}
				e = Entry{Seq: seq, Type: EntrySystem, Timestamp: ts, Body: mustEncode(body)}
			default:
				e = eventEntry(seq, ts, randomPatch(rng, 0))
				body, _ = decodeStored(e.Body)
			}
			history = append(history, e)
			if !ix.recordEntry(e, body) {
				t.Fatalf("seed %d: %s not indexed", seed, e.Body)
			}
		}
		stored := decodeFoldIndex(ix.encode())
		if stored == nil || !bytes.Equal(stored.encode(), ix.encode()) {
			t.Fatalf("seed %d: the index does not survive its encoding", seed)
		}
		previous, err := s.fold(append([]Entry(nil), history...))
		if err != nil {
			t.Fatal(err)
		}
		late := randomPatch(rng, 0)
		e := eventEntry(seq+1, int64(rng.IntN(21)), late)
		want, err := s.fold(append(append([]Entry(nil), history...), e))
		if err != nil {
			t.Fatal(err)
		}
		previousJSON := mustEncode(previous)
		got, ok := stored.lateProfile(previous, late, foldPos{e.Timestamp, e.Seq})
		if !bytes.Equal(mustEncode(previous), previousJSON) {
			t.Fatalf("seed %d: lateProfile modified the stored profile", seed)
		}
		if !ok {
			undecided++
			continue
		}
		decided++
		if !bytes.Equal(mustEncode(got), mustEncode(want)) {
			t.Fatalf("seed %d: late %s at %d\nhistory: %s\nindex:   %s\nwant %s\ngot  %s", seed, mustEncode(late), e.Timestamp,
				historyText(history), ix.text(), mustEncode(want), mustEncode(got))
		}
	}
	t.Logf("%d decided by the index, %d refolded", decided, undecided)
	if decided < 4*undecided {
		t.Errorf("%d decided by the index, %d refolded: want at least four in five decided", decided, undecided)
	}
}

func historyText(h []Entry) string {
	var b bytes.Buffer
	for _, e := range h {
		fmt.Fprintf(&b, "\n  %d@%d %s %s", e.Seq, e.Timestamp, e.Type, e.Body)
	}
	return b.String()
}

func (ix *foldIndex) text() string {
	var b bytes.Buffer
	for k, p := range ix.writes {
		fmt.Fprintf(&b, "\n  %c %q %d/%d", k.kind, k.path, p.ts, p.seq)
	}
	return b.String()
}

// TestFoldIndexDecodesWhatItEncodes: an index survives its stored form, and what is not an index
// decodes to none.
func TestFoldIndexDecodesWhatItEncodes(t *testing.T) {
	ix := newFoldIndex()
	ix.dirty, ix.lastConversion = true, 1700000000000
	ix.recordPatch(schema.Object{"a": schema.Object{"b": "x", "c": schema.Object{}}, "tags": []any{schema.Object{"key": "k"}}}, "", foldPos{5, 2})
	got := decodeFoldIndex(ix.encode())
	if got == nil || got.dirty != ix.dirty || got.lastConversion != ix.lastConversion || len(got.writes) != len(ix.writes) {
		t.Fatalf("decoded %+v, want %+v", got, ix)
	}
	for k, p := range ix.writes {
		if got.writes[k] != p {
			t.Errorf("%v: %v, want %v", k, got.writes[k], p)
		}
	}
	for _, data := range [][]byte{nil, {}, {indexFormat}, {2, 0, 0, 0}, ix.encode()[:len(ix.encode())-1]} {
		if decodeFoldIndex(data) != nil {
			t.Errorf("decodeFoldIndex(%v) is an index", data)
		}
	}
	big := newFoldIndex()
	for i := range maxIndexWrites + 1 {
		big.recordPatch(schema.Object{fmt.Sprint("f", i): "v"}, "", foldPos{1, 2})
	}
	if big.encode() != nil {
		t.Error("an index past maxIndexWrites is stored")
	}
}
