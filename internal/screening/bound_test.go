package screening

import "testing"

// TestBoundsHoldOnEvalNames compares every query of the evaluation set with a spread of
// listed names: the bounds that let a search skip a candidate must never be below the
// similarity they stand for, or a search would miss what the comparison finds.
func TestBoundsHoldOnEvalNames(t *testing.T) {
	set := GenerateEvalSet(EvalSeed, 400)
	var names [][]nameToken
	for _, e := range set.Entries {
		for _, n := range e.Names() {
			names = append(names, normalizeName(n, e.Kind))
		}
	}
	var sc nameScratch
	pruned, pairs := 0, 0
	for _, c := range set.Cases {
		q := normalizeName(c.Query.Name, c.Query.Kind)
		for k, e := range names {
			if k%3 != 0 && k < len(names)-50 {
				continue
			}
			for i := range q {
				for j := range e {
					if b, s := similarityBound(&q[i], &e[j]), tokenSimilarity(&q[i], &e[j]); b < s-1e-9 {
						t.Fatalf("similarity bound %.4f < %.4f for %q, %q", b, s, q[i].text, e[j].text)
					}
				}
			}
			b := nameScoreBound(q, e, &sc)
			s, _ := compareNames(q, e, &sc, false)
			if b < s-1e-9 {
				t.Fatalf("name bound %.4f < %.4f for %v, %v", b, s, q, e)
			}
			pairs++
			if !reachable(b, DefaultThreshold) {
				pruned++
			}
		}
	}
	if pruned == 0 {
		t.Errorf("no comparison of %d was ruled out by its bound", pairs)
	}
	t.Logf("%d of %d comparisons ruled out by their bounds", pruned, pairs)
}
