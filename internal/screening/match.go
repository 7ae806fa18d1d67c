package screening

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultThreshold is the score from which a match is reported. The evaluation set
// (evalset.go, TestEvaluation) measures precision and recall at this value.
const DefaultThreshold = 0.86

// Query is a name to screen with the secondary evidence known about its holder.
type Query struct {
	Name string
	// Kind restricts the entries compared: a person is not compared with organisations,
	// vessels or aircraft, nor an organisation with people. KindUnknown compares all.
	Kind Kind
	// BirthDate is the holder's date of birth; a zero Year means unknown.
	BirthDate Date
	// Nationalities and Countries are ISO 3166 alpha-2 codes or country names (they go
	// through NormalizeCountry).
	Nationalities []string
	Countries     []string
}

// TokenPair is one aligned pair of words of the query and of the matched name.
type TokenPair struct {
	Query      string  `json:"query"`
	Entry      string  `json:"entry"`
	Similarity float64 `json:"similarity"`
}

// Evidence is one fact besides the name that moved the score.
type Evidence struct {
	// Factor is "birthDate", "nationality", "country" or "kind".
	Factor string `json:"factor"`
	Detail string `json:"detail"`
	// Effect is what the fact added to (or, negative, took from) the name's score.
	Effect float64 `json:"effect"`
}

// Match is an entry that matched a query, with the explanation of its score.
type Match struct {
	Entry Entry `json:"-"`
	// Score is NameScore plus the evidence's effects, within [0, 1].
	Score     float64 `json:"score"`
	NameScore float64 `json:"nameScore"`
	// MatchedName is the entry's name or alias, as published, that matched best.
	MatchedName string      `json:"matchedName"`
	Pairs       []TokenPair `json:"tokenPairs"`
	Evidence    []Evidence  `json:"evidence,omitempty"`
}

// Weights of the score. A name's score is hi*(1-cw+cw*lo) where hi and lo are the larger and
// smaller of the (similarity-weighted) shares of the query's and of the entry's words matched,
// and cw is coverageWeight, or coverageWeightStrong once two words match well: a missing
// middle name costs little, a lone surname against a full name much.
const (
	coverageWeight       = 0.3
	coverageWeightStrong = 0.2
	initialSimilarity    = 0.9
	initialWeight        = 0.6
	variantSimilarity    = 0.9
	lengthPenalty        = 0.04
	foldDiscount         = 0.02
	sharpenPivot         = 0.9
	skeletonFoldedMin    = 0.85
	sharpenSlope         = 1.5
	// Evidence only raises a name that is already close (minEvidenceName); against a weaker
	// name a shared birth date is a coincidence, not corroboration.
	minEvidenceName   = 0.86
	birthExact        = 0.08
	birthNear         = 0.04
	birthMismatch     = -0.25
	nationalityMatch  = 0.03
	nationalityDiffer = -0.08
	countryMatch      = 0.02
	countryDiffer     = -0.03
	kindDiffer        = -0.15
	maxTokens         = 16
)

// tokenSimilarity compares two words: equal words 1, an initial against a word with its
// letter initialSimilarity, otherwise Jaro-Winkler (less a share for a difference in length),
// or the Jaro-Winkler of the spellings folded by foldVowels if higher (Mohammed, Muhammad), at
// least variantSimilarity when the folded spellings are equal, or when a word romanised from
// Arabic letters has the other's consonant skeleton.
func tokenSimilarity(a, b *nameToken) float64 {
	if a.text == b.text {
		return 1
	}
	if len(a.text) == 1 || len(b.text) == 1 {
		if a.text[0] == b.text[0] {
			return initialSimilarity
		}
		return 0
	}
	s := jaroWinkler(a.text, b.text) * lengthFactor(a.text, b.text)
	var folded float64
	if a.fold != b.fold && (a.fold != a.text || b.fold != b.text) {
		folded = (jaroWinkler(a.fold, b.fold) - foldDiscount) * lengthFactor(a.fold, b.fold)
		s = max(s, folded)
	}
	// Different names of similar spelling score 0.75-0.88 in Jaro-Winkler; typos and
	// variants of one name mostly above 0.9. Below the pivot, similarity falls off faster.
	if s < sharpenPivot {
		s = max(0, s-(sharpenPivot-s)*sharpenSlope)
	}
	if s < variantSimilarity && len(a.fold) >= 3 && a.fold == b.fold {
		s = variantSimilarity
	}
	// Equal consonant skeletons make a variant when a side was romanised from Arabic letters
	// (no vowels to compare), or when the folded spellings are close as well (Yusuf,
	// Youssef) but not otherwise (Hasan and Husayn, Oleg and Olga are different names).
	if s < variantSimilarity && a.skel == b.skel && (a.arabic || b.arabic || folded >= skeletonFoldedMin) {
		s = variantSimilarity
	}
	return s
}

// lengthFactor discounts words differing in length by two letters or more: Jaro-Winkler
// rewards a shared prefix however long the rest (Smith, Smithson).
func lengthFactor(a, b string) float64 {
	if d := abs(len(a) - len(b)); d >= 2 {
		return 1 - lengthPenalty*float64(d)
	}
	return 1
}

func tokenWeight(t *nameToken) float64 {
	if len(t.text) == 1 {
		return initialWeight
	}
	return 1
}

// nameScratch holds the buffers of one comparison, reused across the candidates of a search.
type nameScratch struct {
	// ids, when set, are the dictionary ids of the entry words being compared, and cache
	// holds the similarities computed so far in this search.
	ids              []uint32
	cache            map[uint64]float64
	sims             []float64
	qUsed, eUsed     []bool
	qBest, eBest     []float64
	qPartner         []int
	joinedQ, joinedE strings.Builder
}

// compareNames aligns the words of q and e one to one, best pairs first (so word order does
// not matter), and scores the alignment; with explain it also returns the pairs.
func compareNames(q, e []nameToken, sc *nameScratch, explain bool) (float64, []TokenPair) {
	if len(q) == 0 || len(e) == 0 {
		return 0, nil
	}
	q, e = q[:min(len(q), maxTokens)], e[:min(len(e), maxTokens)]
	n, m := len(q), len(e)
	sc.sims = slices.Grow(sc.sims[:0], n*m)[:n*m]
	for i := range q {
		for j := range e {
			if sc.ids == nil {
				sc.sims[i*m+j] = tokenSimilarity(&q[i], &e[j])
				continue
			}
			// Within a search the same listed words recur across candidates: similarities
			// are cached by query word and dictionary word.
			key := uint64(i)<<32 | uint64(sc.ids[j])
			s, ok := sc.cache[key]
			if !ok {
				s = tokenSimilarity(&q[i], &e[j])
				sc.cache[key] = s
			}
			sc.sims[i*m+j] = s
		}
	}
	sc.qUsed = resetBools(sc.qUsed, n)
	sc.eUsed = resetBools(sc.eUsed, m)
	sc.qBest = resetFloats(sc.qBest, n)
	sc.eBest = resetFloats(sc.eBest, m)
	sc.qPartner = slices.Grow(sc.qPartner[:0], n)[:n]
	for i := range sc.qPartner {
		sc.qPartner[i] = -1
	}
	for range min(n, m) {
		bi, bj, best := -1, -1, 0.0
		for i := range n {
			if sc.qUsed[i] {
				continue
			}
			for j := range m {
				if !sc.eUsed[j] && sc.sims[i*m+j] > best {
					bi, bj, best = i, j, sc.sims[i*m+j]
				}
			}
		}
		if bi < 0 {
			break
		}
		sc.qUsed[bi], sc.eUsed[bj] = true, true
		sc.qBest[bi], sc.eBest[bj] = best, best
		sc.qPartner[bi] = bj
	}
	qc, ec := coverage(q, sc.qBest), coverage(e, sc.eBest)
	hi, lo := max(qc, ec), min(qc, ec)
	cw := coverageWeight
	if strong := countAtLeast(sc.qBest, 0.8); strong >= 2 {
		cw = coverageWeightStrong
	}
	score := hi * (1 - cw + cw*lo)
	// Names written together or apart (Abdulrahman, Abdul Rahman) align badly word by word:
	// compare them joined as well.
	if n != m {
		sc.joinedQ.Reset()
		sc.joinedE.Reset()
		for i := range q {
			sc.joinedQ.WriteString(q[i].text)
		}
		for j := range e {
			sc.joinedE.WriteString(e[j].text)
		}
		jq, je := sc.joinedQ.String(), sc.joinedE.String()
		if joined := jaroWinkler(jq, je) - 0.02; joined > score && joined >= 0.93 {
			if !explain {
				return joined, nil
			}
			return joined, []TokenPair{{Query: jq, Entry: je, Similarity: round3(joined + 0.02)}}
		}
	}
	if !explain {
		return score, nil
	}
	pairs := make([]TokenPair, 0, n)
	for i := range q {
		p := TokenPair{Query: q[i].text}
		if j := sc.qPartner[i]; j >= 0 {
			p.Entry, p.Similarity = e[j].text, round3(sc.qBest[i])
		}
		pairs = append(pairs, p)
	}
	return score, pairs
}

func countAtLeast(f []float64, min float64) int {
	n := 0
	for _, v := range f {
		if v >= min {
			n++
		}
	}
	return n
}

func resetBools(b []bool, n int) []bool {
	b = slices.Grow(b[:0], n)[:n]
	clear(b)
	return b
}

func resetFloats(f []float64, n int) []float64 {
	f = slices.Grow(f[:0], n)[:n]
	clear(f)
	return f
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

// kindsCompatible reports whether entries of kind e are compared with a query of kind q at all.
func kindsCompatible(q, e Kind) bool {
	if q == KindUnknown || e == KindUnknown || q == e {
		return true
	}
	return q != KindPerson && e != KindPerson
}

// evidence scores what is known besides the name; a fact missing on either side says nothing.
func evidence(q *preparedQuery, e *Entry, raise, explain bool) (float64, []Evidence) {
	var total float64
	var out []Evidence
	// detail is formatted only for an explanation: a search scores many more candidates
	// than it reports.
	add := func(factor string, effect float64, detail func() string) {
		if effect > 0 && !raise {
			if explain {
				out = append(out, Evidence{Factor: factor, Detail: detail() + " (name too far to count)", Effect: 0})
			}
			return
		}
		total += effect
		if explain {
			out = append(out, Evidence{Factor: factor, Detail: detail(), Effect: effect})
		}
	}
	if q.kind != KindUnknown && e.Kind != KindUnknown && q.kind != e.Kind {
		add("kind", kindDiffer, func() string { return fmt.Sprintf("query is a %s, entry a %s", q.kind, e.Kind) })
	}
	if q.birth.Year > 0 && len(e.BirthDates) > 0 {
		best, bestDate := 1000, Date{}
		exact := false
		for _, d := range e.BirthDates {
			dy := abs(d.Year - q.birth.Year)
			if d.Circa && dy <= 3 {
				dy = min(dy, 1)
			}
			if dy < best {
				best, bestDate = dy, d
			}
			if d == q.birth && d.Month > 0 && d.Day > 0 {
				exact, bestDate = true, d
			}
		}
		switch {
		case exact:
			add("birthDate", birthExact, func() string { return "same date of birth " + bestDate.String() })
		case best <= 1:
			add("birthDate", birthNear, func() string { return fmt.Sprintf("year of birth %d within a year of %s", q.birth.Year, bestDate) })
		default:
			add("birthDate", birthMismatch, func() string { return fmt.Sprintf("year of birth %d, entry %s", q.birth.Year, bestDate) })
		}
	}
	if len(q.nationalities) > 0 && len(e.Nationalities) > 0 {
		if c, ok := overlap(q.nationalities, e.Nationalities); ok {
			add("nationality", nationalityMatch, func() string { return "same nationality " + c })
		} else {
			add("nationality", nationalityDiffer, func() string {
				return fmt.Sprintf("nationality %s, entry %s", strings.Join(q.nationalities, ","), strings.Join(e.Nationalities, ","))
			})
		}
	}
	if len(q.countries) > 0 && (len(e.Countries) > 0 || len(e.Nationalities) > 0) {
		if c, ok := overlap(q.countries, e.Countries); ok {
			add("country", countryMatch, func() string { return "same country " + c })
		} else if c, ok := overlap(q.countries, e.Nationalities); ok {
			add("country", countryMatch, func() string { return "country " + c + " is the entry's nationality" })
		} else {
			add("country", countryDiffer, func() string {
				return fmt.Sprintf("country %s, entry %s", strings.Join(q.countries, ","), strings.Join(e.Countries, ","))
			})
		}
	}
	return total, out
}

func overlap(a, b []string) (string, bool) {
	for _, x := range a {
		if slices.Contains(b, x) {
			return x, true
		}
	}
	return "", false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// preparedQuery is a Query normalised once for all the candidates of a search.
type preparedQuery struct {
	raw           Query
	tokens        []nameToken
	kind          Kind
	birth         Date
	nationalities []string
	countries     []string
}

func prepare(q Query) *preparedQuery {
	p := &preparedQuery{raw: q, tokens: normalizeName(q.Name, q.Kind), kind: q.Kind, birth: q.BirthDate}
	for _, c := range q.Nationalities {
		p.nationalities = append(p.nationalities, NormalizeCountry(c))
	}
	for _, c := range q.Countries {
		p.countries = append(p.countries, NormalizeCountry(c))
	}
	return p
}

// scoreTokens scores a query against an entry whose names are given already normalised;
// it returns the best name's index. Without explain, Match holds only the scores.
// ids, when not nil, holds each name's dictionary word ids (for the similarity cache).
func scoreTokens(q *preparedQuery, e *Entry, names [][]nameToken, ids [][]uint32, sc *nameScratch, explain bool) (Match, bool) {
	if !kindsCompatible(q.kind, e.Kind) {
		return Match{}, false
	}
	best, bestName := -1.0, -1
	for i, toks := range names {
		if ids != nil {
			sc.ids = ids[i]
		}
		s, _ := compareNames(q.tokens, toks, sc, false)
		if s > best {
			best, bestName = s, i
		}
	}
	if bestName < 0 {
		return Match{}, false
	}
	ev, evs := evidence(q, e, best >= minEvidenceName, explain)
	m := Match{NameScore: best, Score: min(1, max(0, best+ev))}
	if explain {
		m.Entry = *e
		m.NameScore, m.Score = round3(m.NameScore), round3(m.Score)
		m.MatchedName = e.Name
		if bestName > 0 && bestName-1 < len(e.Aliases) {
			m.MatchedName = e.Aliases[bestName-1]
		}
		if ids != nil {
			sc.ids = ids[bestName]
		}
		_, m.Pairs = compareNames(q.tokens, names[bestName], sc, true)
		m.Evidence = evs
	}
	return m, true
}

// Score compares a query with one entry, normalising the entry's names, and explains the
// result. ok is false when the kinds are not compared at all (a person and a company).
func Score(q Query, e *Entry) (m Match, ok bool) {
	p := prepare(q)
	names := make([][]nameToken, 0, 1+len(e.Aliases))
	for _, n := range e.Names() {
		names = append(names, normalizeName(n, e.Kind))
	}
	return scoreTokens(p, e, names, nil, &nameScratch{}, true)
}

// coverage is how much of a name its tokens' best similarities cover, each token weighed by
// tokenWeight: the score's and its upper bound's measure of the names' overlap.
func coverage(toks []nameToken, best []float64) float64 {
	var got, all float64
	for i := range toks {
		w := tokenWeight(&toks[i])
		all += w
		got += w * best[i]
	}
	return got / all
}
