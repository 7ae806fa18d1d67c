package screening

import "hash/maphash"

// Words of these lengths are also found by one typo: the blocking keys of a short word (its
// prefix, suffix and skeleton overlap) are all changed by one letter, which longer words
// survive. Longer queries are looked up too, since a letter may have been doubled.
const (
	fuzzyMinLen = 3
	fuzzyMaxLen = 7
)

// fuzzyWords finds the dictionary's short words one typo away from a word, by their deletion
// neighbourhood: each word is filed under itself and each spelling with one letter deleted,
// so a letter changed, dropped, added or two letters swapped share a spelling. The lists are
// chains in flat arrays (no pointers for the collector to scan); words are never removed
// from the dictionary, so neither are they from here.
type fuzzyWords struct {
	head map[uint64]uint32 // spelling hash -> index+1 of the chain's first node
	next []uint32          // node -> index+1 of the next node, 0 at the end
	word []uint32          // node -> dictionary id
}

// deletions calls fn with the hash of w and of each spelling with one letter deleted
// (repeated letters give one spelling).
func deletions(w string, fn func(uint64)) {
	var buf [fuzzyMaxLen + 1]byte
	fn(maphash.String(keySeed, w))
	for i := range len(w) {
		if i > 0 && w[i] == w[i-1] {
			continue
		}
		n := copy(buf[:], w[:i])
		n += copy(buf[n:], w[i+1:])
		fn(maphash.Bytes(keySeed, buf[:n]))
	}
}

func (f *fuzzyWords) add(w string, id uint32) {
	if len(w) < fuzzyMinLen || len(w) > fuzzyMaxLen {
		return
	}
	if f.head == nil {
		f.head = make(map[uint64]uint32)
	}
	deletions(w, func(h uint64) {
		f.word = append(f.word, id)
		f.next = append(f.next, f.head[h])
		f.head[h] = uint32(len(f.word))
	})
}

// near calls fn with the ids of the dictionary words within one typo of w (and possibly a
// few at two); an id may come more than once.
func (f *fuzzyWords) near(w string, fn func(uint32)) {
	if len(w) < fuzzyMinLen || len(w) > fuzzyMaxLen+1 || f.head == nil {
		return
	}
	deletions(w, func(h uint64) {
		for n := f.head[h]; n != 0; n = f.next[n-1] {
			fn(f.word[n-1])
		}
	})
}
