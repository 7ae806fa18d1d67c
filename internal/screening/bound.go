package screening

// Upper bounds of the similarities, cheap enough to compute for every candidate: a candidate
// whose names cannot reach the threshold even at their bound is not compared at all, which
// spares the Jaro-Winkler counts that make most of a comparison's cost.

// letterMask has a bit per letter (and a shared few for digits) that occurs in s.
func letterMask(s string) uint32 {
	var m uint32
	for i := 0; i < len(s); i++ {
		m |= letterBit(s[i])
	}
	return m
}

func letterBit(c byte) uint32 {
	if c >= 'a' && c <= 'z' {
		return 1 << (c - 'a')
	}
	return 1 << (26 + c%6)
}

// inMask counts the characters of s whose letter is in m: no more of s can be matched by
// Jaro's count against a string of those letters.
func inMask(s string, m uint32) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if m&letterBit(s[i]) != 0 {
			n++
		}
	}
	return n
}

// jaroWinklerBound is at least jaroWinkler(a, b), given each one's letters: the matches are
// at most the characters of each whose letter the other has, and none are transposed.
func jaroWinklerBound(la, lb, inA, inB, prefix int) float64 {
	m := float64(min(inA, inB))
	if m == 0 {
		return 0
	}
	jaro := (m/float64(la) + m/float64(lb) + 1) / 3
	return jaro + float64(prefix)*0.1*(1-jaro)
}

func commonPrefix4(a, b string) int {
	p := 0
	for p < 4 && p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	return p
}

// similarityBound is at least tokenSimilarity(a, b); it follows the same rules with the
// Jaro-Winkler values replaced by their bounds (the sharpening is monotonic).
func similarityBound(a, b *nameToken) float64 {
	if a.text == b.text || len(a.text) == 1 || len(b.text) == 1 || a.skel == b.skel || a.fold == b.fold {
		return tokenSimilarity(a, b)
	}
	s := jaroWinklerBound(len(a.text), len(b.text), inMask(a.text, b.mask), inMask(b.text, a.mask), commonPrefix4(a.text, b.text)) *
		lengthFactor(a.text, b.text)
	if a.fold != a.text || b.fold != b.text {
		f := (jaroWinklerBound(len(a.fold), len(b.fold), inMask(a.fold, b.fmask), inMask(b.fold, a.fmask), commonPrefix4(a.fold, b.fold)) - foldDiscount) *
			lengthFactor(a.fold, b.fold)
		s = max(s, f)
	}
	if s < sharpenPivot {
		s = max(0, s-(sharpenPivot-s)*sharpenSlope)
	}
	return min(s, 1)
}

// nameScoreBound is at least compareNames(q, e): each word's best similarity is at most its
// best bound, the coverage weight is at its smallest, and the names written together are
// bounded by their letters as a whole.
func nameScoreBound(q, e []nameToken, sc *nameScratch) float64 {
	if len(q) == 0 || len(e) == 0 {
		return 0
	}
	q, e = q[:min(len(q), maxTokens)], e[:min(len(e), maxTokens)]
	n, m := len(q), len(e)
	sc.qBest = resetFloats(sc.qBest, n)
	sc.eBest = resetFloats(sc.eBest, m)
	for i := range q {
		for j := range e {
			b := similarityBound(&q[i], &e[j])
			sc.qBest[i] = max(sc.qBest[i], b)
			sc.eBest[j] = max(sc.eBest[j], b)
		}
	}
	qc, ec := coverage(q, sc.qBest), coverage(e, sc.eBest)
	hi, lo := max(qc, ec), min(qc, ec)
	bound := hi * (1 - coverageWeightStrong + coverageWeightStrong*lo)
	if n != m {
		var qm, em uint32
		var lq, le int
		var qp, ep [4]byte
		for i := range q {
			qm |= q[i].mask
			for k := 0; k < len(q[i].text) && lq+k < 4; k++ {
				qp[lq+k] = q[i].text[k]
			}
			lq += len(q[i].text)
		}
		for j := range e {
			em |= e[j].mask
			for k := 0; k < len(e[j].text) && le+k < 4; k++ {
				ep[le+k] = e[j].text[k]
			}
			le += len(e[j].text)
		}
		var inQ, inE int
		for i := range q {
			inQ += inMask(q[i].text, em)
		}
		for j := range e {
			inE += inMask(e[j].text, qm)
		}
		p := commonPrefix4(string(qp[:min(lq, 4)]), string(ep[:min(le, 4)]))
		if joined := jaroWinklerBound(lq, le, inQ, inE, p) - 0.02; joined >= 0.93 {
			bound = max(bound, joined)
		}
	}
	return bound
}

// reachable reports whether a name scoring at most bound can make a score at threshold:
// evidence raises only a name at minEvidenceName or above, by at most its positive effects.
func reachable(bound, threshold float64) bool {
	if bound >= minEvidenceName {
		bound += birthExact + nationalityMatch + countryMatch
	}
	return bound >= threshold
}
