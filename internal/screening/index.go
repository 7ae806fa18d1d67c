package screening

import (
	"cmp"
	"hash/maphash"
	"math/bits"
	"slices"
	"sync"
)

// Index holds the entries of one or more lists in memory for searching. Each word of each
// name is filed under blocking keys (its consonant skeleton, and its first four letters), so
// a search reads only the postings of its own words' keys, ranks the entries found by how
// many of its words they share, and scores only the best candidates in full. Entries can be
// added, replaced and removed one by one, so a list's delta does not rebuild the index.
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
	return id
}

// Search tuning: how many candidates are scored in full, and from what length a posting list
// counts as too common to read when the query has rarer words.
const (
	maxCandidates  = 64
	commonPosting  = 20000
	keyWeightScale = 1 << 16
)

var keySeed = maphash.MakeSeed()

// blockingKeys returns the keys a word is filed under. Initials are not filed: they would
// make every name with that letter a candidate.
func blockingKeys(t *nameToken, out []uint64) []uint64 {
	if len(t.text) < 2 {
		return out
	}
	out = append(out, maphash.String(keySeed, "s\x00"+t.skel))
	p := t.text
	if len(p) > 4 {
		p = p[:4]
	}
	return append(out, maphash.String(keySeed, "p\x00"+p))
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

// searchScratch is one search's working memory, pooled: seen holds, per slot, a bit per
// query word that led to it, and weight the sum of those words' key weights.
type searchScratch struct {
	seen    []uint32
	weight  []uint32
	touched []int32
	keys    []uint64
	names   [][]nameToken
	toks    []nameToken
	cands   []candidate
	ids     [][]uint32
	names2  nameScratch
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
	if len(sc.seen) < len(ix.slots) {
		sc.seen = make([]uint32, len(ix.slots))
		sc.weight = make([]uint32, len(ix.slots))
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
func (ix *Index) candidates(p *preparedQuery, sc *searchScratch) []candidate {
	sc.touched = sc.touched[:0]
	words := min(len(p.tokens), 32)
	type list struct {
		slots []int32
		word  int
	}
	var lists []list
	for i := range words {
		sc.keys = blockingKeys(&p.tokens[i], sc.keys[:0])
		for _, k := range sc.keys {
			if l := ix.postings[k]; len(l) > 0 {
				lists = append(lists, list{l, i})
			}
		}
	}
	// Rarest lists first, so that a word's first key to reach an entry is its rarest.
	slices.SortFunc(lists, func(a, b list) int { return cmp.Compare(len(a.slots), len(b.slots)) })
	rare := len(lists) > 0 && len(lists[0].slots) <= commonPosting
	for _, l := range lists {
		// Skip the most common keys when rarer ones exist: they would only add candidates
		// that share a frequent word and nothing else.
		if rare && len(l.slots) > commonPosting {
			continue
		}
		bit := uint32(1) << l.word
		w := uint32(keyWeightScale / bits.Len(uint(len(l.slots))+1))
		for _, s := range l.slots {
			seen := sc.seen[s]
			if seen&bit != 0 {
				continue
			}
			if seen == 0 {
				sc.touched = append(sc.touched, s)
			}
			sc.seen[s] = seen | bit
			sc.weight[s] += w
		}
	}
	// An entry sharing one word with a query of several cannot reach the threshold unless
	// another pair of words is close without sharing a key, which typos rarely achieve: when
	// some entries share two words, only those are candidates.
	need := 1
	for _, s := range sc.touched {
		if bits.OnesCount32(sc.seen[s]) >= 2 {
			need = 2
			break
		}
	}
	sc.cands = sc.cands[:0]
	top := uint32(0)
	for _, s := range sc.touched {
		w := sc.weight[s]
		if bits.OnesCount32(sc.seen[s]) >= need {
			sc.cands = append(sc.cands, candidate{slot: s, weight: w})
			top = max(top, w)
		}
		sc.seen[s], sc.weight[s] = 0, 0
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
