package screening

import (
	"fmt"
	"slices"
	"testing"
)

// letters spells n in base 26 so that every filler entry has its own word.
func letters(n int) string {
	s := ""
	for {
		s = string(rune('a'+n%26)) + s
		n /= 26
		if n == 0 {
			return s
		}
	}
}

// TestDeferredListFindsSecondWord builds lists longer than readBudget for both words of the
// query, so the rarest word's list is deferred and the other only probed: the entry holding
// both must still be found, through the probe that opens it, as must an entry found through
// two deferred lists (an unknown word and the next).
func TestDeferredListFindsSecondWord(t *testing.T) {
	ix := NewIndex()
	add := func(id, name string) {
		ix.Put(Entry{Source: "T", ID: id, Kind: KindPerson, Name: name})
	}
	n := readBudget + 500
	for i := range n {
		add(fmt.Sprint("A", i), "Korvalin Zq"+letters(i)+"x")
		add(fmt.Sprint("B", i), "Mistraven Wq"+letters(i)+"y")
	}
	// Entries sharing both words, fewer than maxCandidates so that none crowds out the
	// entries looked for.
	for i := range 50 {
		add(fmt.Sprint("C", i), "Korvalin Mistraven Pelund Vq"+letters(i)+"z")
	}
	add("T1", "Korvalin Mistraven")
	add("T2", "Korvalin Tesharo")
	tests := []struct {
		name, query string
		want        string
	}{
		{"rarest list deferred, other word probed", "Korvalin Mistraven", "T1"},
		{"deferred list of an unknown word's neighbour", "Korvalim Mistraven", "T1"},
		{"rare word read, common word deferred", "Tesharo Korvalin", "T2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := ix.Search(Query{Name: tt.query, Kind: KindPerson}, SearchOptions{})
			if !slices.ContainsFunc(ms, func(m Match) bool { return m.Entry.ID == tt.want }) {
				t.Fatalf("%q: %s not among %d matches", tt.query, tt.want, len(ms))
			}
		})
	}
}
