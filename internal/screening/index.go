package screening

import (
	"cmp"
	"hash/maphash"
	"math/bits"
	"slices"
	"sync"
)

// Index holds the entries of one or more lists in memory for searching. Each word of each
// name is filed under blocking keys (its consonant skeleton, its first four letters and, for
// longer words, its last four and its first two with its last two), and short words are
// also found one typo away (fuzzyWords). A search reads the rarest postings of its words up
// to a budget, ranks the entries found by how many of its words they share and how rare
// those are, and compares in full only the best candidates whose bound can reach the
// threshold. Entries can be added, replaced and removed one by one, so a list's delta does
// not rebuild the index.
//
// An Index is safe for concurrent use: searches share a read lock, updates take the write lock.
type Index struct {
	mu       sync.RWMutex
	slots    []slot
	free     []int32
	byID     map[string]int32
	postings map[uint64][]int32
	dict     tokenDict
	strs     map[string]string
	live     int
	scratch  sync.Pool
}

// slot is one entry with its names as dictionary word ids: for each name its word count
// followed by the words.
type slot struct {
	entry Entry
	names []uint32
	live  bool
}

// tokenDict interns the normalised words of all names; ids index texts.
type tokenDict struct {
	ids    map[string]uint32
	tokens []nameToken
	fuzzy  fuzzyWords
}

func (d *tokenDict) id(t nameToken) uint32 {
	if id, ok := d.ids[t.text]; ok {
		if t.arabic && !d.tokens[id].arabic {
			d.tokens[id].arabic = true
		}
		return id
	}
	id := uint32(len(d.tokens))
	d.ids[t.text] = id
	d.tokens = append(d.tokens, t)
	d.fuzzy.add(t.text, id)
	return id
}

// Search tuning: how many candidates are scored in full, and how many postings a search
// reads into its accumulators before the commoner lists only add to the entries found.
// Measured on the generated million-entry list (BenchmarkSearchRecall): 64 candidates lose
// exact names that a hundred entries share, a budget of 2,048 loses typos.
const (
	maxCandidates  = 128
	readBudget     = 4096
	keyWeightScale = 1 << 16
)

var keySeed = maphash.MakeSeed()

// blockingKeys returns the keys a word is filed under: its consonant skeleton (spelling
// and transliteration variants), its first four letters, and, for words of five letters or
// more, its last four letters and its first two with its last two. One typo (a letter
// changed, dropped, doubled or two swapped) changes the skeleton or the prefix, but seldom
// all of them: the ends of a word keep a key when its middle changes, and the reverse.
// Initials are not filed: they would make every name with that letter a candidate.
func blockingKeys(t *nameToken, out []uint64) []uint64 {
	w := t.text
	if len(w) < 2 {
		return out
	}
	out = append(out, maphash.String(keySeed, "s\x00"+t.skel))
	if len(w) < 5 {
		return append(out, maphash.String(keySeed, "p\x00"+w))
	}
	var buf [6]byte
	copy(buf[2:], w[:4])
	buf[0], buf[1] = 'p', 0
	out = append(out, maphash.Bytes(keySeed, buf[:]))
	buf[0] = 'e'
	copy(buf[2:], w[len(w)-4:])
	out = append(out, maphash.Bytes(keySeed, buf[:]))
	buf[0] = 'b'
	copy(buf[2:4], w[:2])
	copy(buf[4:], w[len(w)-2:])
	return append(out, maphash.Bytes(keySeed, buf[:]))
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		byID:     make(map[string]int32),
		postings: make(map[uint64][]int32),
		dict:     tokenDict{ids: make(map[string]uint32)},
		strs:     make(map[string]string),
	}
}

// Len returns the number of entries.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// key identifies an entry across lists: the same ID may occur in two lists.
func entryKey(source, id string) string { return source + "\x00" + id }

// Put adds an entry, or replaces the entry with the same source and ID.
func (ix *Index) Put(e Entry) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(entryKey(e.Source, e.ID))
	ix.add(e)
}

// Remove deletes the entry with the given source and ID, reporting whether it was there.
func (ix *Index) Remove(source, id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.remove(entryKey(source, id))
}

// Get returns the entry with the given source and ID.
func (ix *Index) Get(source, id string) (Entry, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s, ok := ix.byID[entryKey(source, id)]
	if !ok {
		return Entry{}, false
	}
	return ix.slots[s].entry, true
}

// Apply brings the index to a new version of one list: the delta's added and changed
// entries are put, its removed IDs (of the given source) deleted.
func (ix *Index) Apply(source string, d Delta) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, id := range d.Removed {
		ix.remove(entryKey(source, id))
	}
	for _, set := range [][]Entry{d.Added, d.Changed} {
		for _, e := range set {
			ix.remove(entryKey(e.Source, e.ID))
			ix.add(e)
		}
	}
}

// intern shares the strings that repeat across entries (sources, programmes, countries).
func (ix *Index) intern(s string) string {
	if v, ok := ix.strs[s]; ok {
		return v
	}
	ix.strs[s] = s
	return s
}

func (ix *Index) internAll(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = ix.intern(s)
	}
	return out
}

func (ix *Index) add(e Entry) {
	e.Source = ix.intern(e.Source)
	e.Programmes = ix.internAll(e.Programmes)
	e.Nationalities = ix.internAll(e.Nationalities)
	e.Countries = ix.internAll(e.Countries)
	if len(e.Aliases) == 0 {
		e.Aliases = nil
	}
	if len(e.BirthDates) == 0 {
		e.BirthDates = nil
	} else {
		e.BirthDates = slices.Clip(e.BirthDates)
	}
	var s int32
	if n := len(ix.free); n > 0 {
		s, ix.free = ix.free[n-1], ix.free[:n-1]
	} else {
		s = int32(len(ix.slots))
		ix.slots = append(ix.slots, slot{})
	}
	var names []uint32
	var keys []uint64
	for _, n := range e.Names() {
		toks := normalizeName(n, e.Kind)
		if len(toks) == 0 {
			continue
		}
		toks = toks[:min(len(toks), maxTokens)]
		names = append(names, uint32(len(toks)))
		for i := range toks {
			names = append(names, ix.dict.id(toks[i]))
			keys = blockingKeys(&toks[i], keys)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for _, k := range keys {
		ix.postings[k] = append(ix.postings[k], s)
	}
	ix.slots[s] = slot{entry: e, names: slices.Clip(names), live: true}
	ix.byID[entryKey(e.Source, e.ID)] = s
	ix.live++
}

func (ix *Index) remove(key string) bool {
	s, ok := ix.byID[key]
	if !ok {
		return false
	}
	sl := &ix.slots[s]
	var keys []uint64
	forNames(sl.names, func(ids []uint32) {
		for _, id := range ids {
			keys = blockingKeys(&ix.dict.tokens[id], keys)
		}
	})
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for _, k := range keys {
		p := ix.postings[k]
		if i := slices.Index(p, s); i >= 0 {
			p[i] = p[len(p)-1]
			p = p[:len(p)-1]
		}
		if len(p) == 0 {
			delete(ix.postings, k)
		} else {
			ix.postings[k] = p
		}
	}
	*sl = slot{}
	ix.free = append(ix.free, s)
	delete(ix.byID, key)
	ix.live--
	return true
}

// forNames calls fn with the word ids of each name of a slot.
func forNames(names []uint32, fn func([]uint32)) {
	for i := 0; i < len(names); {
		n := int(names[i])
		fn(names[i+1 : i+1+n])
		i += 1 + n
	}
}

// SearchOptions tune a search; the zero value uses DefaultThreshold and no limit.
type SearchOptions struct {
	// Threshold is the lowest score reported (DefaultThreshold when zero).
	Threshold float64
	// Limit caps the number of matches returned, best first (no cap when zero).
	Limit int
}

// searchScratch is one search's working memory, pooled: acc holds, per slot, a bit per query
// word that led to it and the sum of those words' key weights; mark has a bit per slot
// touched, a small array that the commonest posting lists are checked against.
type searchScratch struct {
	acc     []slotAcc
	mark    []uint64
	touched []int32
	keys    []uint64
	lists   []postingList
	names   [][]nameToken
	toks    []nameToken
	cands   []candidate
	ids     [][]uint32
	names2  nameScratch
}

// slotAcc is what a search has found about one slot; both fields sit together so that a
// posting costs one memory access.
type slotAcc struct {
	seen, weight uint32
}

type postingList struct {
	slots []int32
	word  int
	must  bool
}

type candidate struct {
	slot   int32
	weight uint32
}

// Search screens one name against the index and returns the matches at or above the
// threshold, best first, each with its explanation.
func (ix *Index) Search(q Query, opts SearchOptions) []Match {
	if opts.Threshold == 0 {
		opts.Threshold = DefaultThreshold
	}
	p := prepare(q)
	if len(p.tokens) == 0 {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sc, _ := ix.scratch.Get().(*searchScratch)
	if sc == nil {
		sc = &searchScratch{}
	}
	defer ix.scratch.Put(sc)
	if len(sc.acc) < len(ix.slots) {
		sc.acc = make([]slotAcc, len(ix.slots))
		sc.mark = make([]uint64, (len(ix.slots)+63)/64)
	}
	cands := ix.candidates(p, sc)
	if sc.names2.cache == nil {
		sc.names2.cache = make(map[uint64]float64)
	}
	clear(sc.names2.cache)
	var out []Match
	for _, c := range cands {
		sl := &ix.slots[c.slot]
		sc.names = sc.names[:0]
		sc.toks = sc.toks[:0]
		sc.ids = sc.ids[:0]
		forNames(sl.names, func(ids []uint32) {
			sc.ids = append(sc.ids, ids)
			start := len(sc.toks)
			for _, id := range ids {
				sc.toks = append(sc.toks, ix.dict.tokens[id])
			}
			sc.names = append(sc.names, sc.toks[start:len(sc.toks):len(sc.toks)])
		})
		// sc.toks may have moved while growing: rebuild the views over its final array.
		off := 0
		for i := range sc.names {
			n := len(sc.names[i])
			sc.names[i] = sc.toks[off : off+n : off+n]
			off += n
		}
		if !kindsCompatible(p.kind, sl.entry.Kind) {
			continue
		}
		bound := 0.0
		for _, toks := range sc.names {
			bound = max(bound, nameScoreBound(p.tokens, toks, &sc.names2))
		}
		if !reachable(bound, opts.Threshold) {
			continue
		}
		m, ok := scoreTokens(p, &sl.entry, sc.names, sc.ids, &sc.names2, false)
		if !ok || m.Score < opts.Threshold {
			continue
		}
		m, _ = scoreTokens(p, &sl.entry, sc.names, sc.ids, &sc.names2, true)
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b Match) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Entry.ID, b.Entry.ID)
	})
	if opts.Limit > 0 && len(out) > opts.Limit {
		out = out[:opts.Limit]
	}
	return out
}

// candidates reads the postings of the query's words and returns at most maxCandidates
// entries, those sharing the rarest words with the query: each query word found in an entry
// adds the weight of the rarest of its keys that led there (a key's weight falls with the
// length of its posting list), so a shared rare surname outranks a shared "John".
//
// The lists are read rarest first, and only until readBudget postings have been read: the
// commonest lists (a frequent first name, "petroleum") then only add their words to the
// entries found already, checked against a bitmap of a bit per slot that stays in cache,
// instead of each of their postings costing a random access to the accumulators.
func (ix *Index) candidates(p *preparedQuery, sc *searchScratch) []candidate {
	sc.touched = sc.touched[:0]
	words := min(len(p.tokens), 32)
	sc.lists = sc.lists[:0]
	keyed := 0
	// rarest[i] is the index in sc.lists of word i's shortest list.
	var rarest [32]int
	var listed uint32 // the query's words the dictionary has
	for i := range words {
		rarest[i] = -1
		t := &p.tokens[i]
		sc.keys = blockingKeys(t, sc.keys[:0])
		if len(sc.keys) > 0 {
			keyed++
		}
		// A word the lists do not have may be a typo of one they have: the keys of the
		// listed words one typo away are read as well.
		_, known := ix.dict.ids[t.text]
		if known {
			listed |= 1 << i
		} else {
			ix.dict.fuzzy.near(t.text, func(id uint32) {
				sc.keys = blockingKeys(&ix.dict.tokens[id], sc.keys)
			})
			slices.Sort(sc.keys)
			sc.keys = slices.Compact(sc.keys)
		}
		for _, k := range sc.keys {
			if l := ix.postings[k]; len(l) > 0 {
				if rarest[i] < 0 || len(l) < len(sc.lists[rarest[i]].slots) {
					rarest[i] = len(sc.lists)
				}
				sc.lists = append(sc.lists, postingList{slots: l, word: i})
			}
		}
	}
	// The shortest list of the rarest word the lists have is read whatever the budget: an
	// entry that matches has that word, or a typo of it with another word in common. A word
	// the lists lack may be a typo whose own lists miss the entry, so when the rarest word is
	// unknown the next one's list is read as well.
	var order [32]int
	n := 0
	for i := range words {
		if rarest[i] >= 0 {
			order[n] = i
			n++
		}
	}
	slices.SortFunc(order[:n], func(a, b int) int {
		return cmp.Compare(len(sc.lists[rarest[a]].slots), len(sc.lists[rarest[b]].slots))
	})
	for _, i := range order[:n] {
		sc.lists[rarest[i]].must = true
		if listed&(1<<i) != 0 {
			break
		}
	}
	// Rarest lists first, so that a word's first key to reach an entry is its rarest.
	slices.SortFunc(sc.lists, func(a, b postingList) int { return cmp.Compare(len(a.slots), len(b.slots)) })
	read := 0
	acc, mark := sc.acc, sc.mark
	for _, l := range sc.lists {
		bit := uint32(1) << l.word
		w := uint32(keyWeightScale / bits.Len(uint(len(l.slots))+1))
		if l.must || read+len(l.slots) <= readBudget {
			read += len(l.slots)
			for _, s := range l.slots {
				a := &acc[s]
				if a.seen&bit != 0 {
					continue
				}
				if a.seen == 0 {
					sc.touched = append(sc.touched, s)
					mark[s>>6] |= 1 << (s & 63)
				}
				a.seen |= bit
				a.weight += w
			}
			continue
		}
		for _, s := range l.slots {
			if mark[s>>6]&(1<<(s&63)) == 0 {
				continue
			}
			if a := &acc[s]; a.seen&bit == 0 {
				a.seen |= bit
				a.weight += w
			}
		}
	}
	// An entry sharing one word with a query of several cannot reach the threshold unless
	// another pair of words is close without sharing a key, which the typo keys (blockingKeys,
	// fuzzyWords) leave rare: entries must share two words with a query of two keyed words.
	// This holds whatever else the index holds, so a delta's small index finds what the
	// whole list's would (an earlier rule fell back to one word when no entry shared two).
	need := min(keyed, 2)
	sc.cands = sc.cands[:0]
	top := uint32(0)
	for _, s := range sc.touched {
		a := acc[s]
		if bits.OnesCount32(a.seen) >= need {
			sc.cands = append(sc.cands, candidate{slot: s, weight: a.weight})
			top = max(top, a.weight)
		}
		acc[s] = slotAcc{}
		mark[s>>6] = 0
	}
	if len(sc.cands) > maxCandidates {
		// Keep the heaviest without sorting them all: a histogram of the weights finds the
		// bucket at which maxCandidates is reached.
		const buckets = 512
		var count [buckets]int
		bucket := func(w uint32) int { return int(uint64(w) * (buckets - 1) / uint64(top)) }
		for _, c := range sc.cands {
			count[bucket(c.weight)]++
		}
		cut, total := buckets-1, 0
		for ; cut > 0; cut-- {
			if total+count[cut] >= maxCandidates {
				break
			}
			total += count[cut]
		}
		room := maxCandidates - total
		kept := sc.cands[:0]
		for _, c := range sc.cands {
			if b := bucket(c.weight); b > cut {
				kept = append(kept, c)
			} else if b == cut && room > 0 {
				kept = append(kept, c)
				room--
			}
		}
		sc.cands = kept
	}
	return sc.cands
}
