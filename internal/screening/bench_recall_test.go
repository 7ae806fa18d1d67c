package screening

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// BenchmarkSearchRecall checks the candidate limits at scale, which the evaluation set's
// 4,000 entries cannot: the evaluation's entries are added to the generated list, and the
// share of its positive queries that still find their entry is reported (recall-1M), with
// that of names of the generated list with one typo and the date of birth (typo-recall-1M).
// Losses here are entries the index's limits (maxCandidates, readBudget) did not score.
func BenchmarkSearchRecall(b *testing.B) {
	ix := loadBenchIndex(b)
	set := GenerateEvalSet(EvalSeed, EvalEntries)
	for _, e := range set.Entries {
		e.Source = "EVAL"
		ix.Put(e)
	}
	defer func() {
		for _, e := range set.Entries {
			ix.Remove("EVAL", e.ID)
		}
	}()
	for i := 0; i < b.N; i++ {
		missed := map[string]int{}
		positives, found := 0, 0
		for _, c := range set.Cases {
			if c.Target == "" {
				continue
			}
			positives++
			if slices.ContainsFunc(ix.Search(c.Query, SearchOptions{}), func(m Match) bool {
				return m.Entry.Source == "EVAL" && m.Entry.ID == c.Target
			}) {
				found++
			} else {
				missed[c.Category]++
			}
		}
		b.ReportMetric(float64(found)/float64(positives), "recall-1M")
		if i == 0 {
			b.Logf("missed by category: %v", missed)
		}
		r := rand.New(rand.NewPCG(7, 7))
		typos, typoFound := 0, 0
		for range 2000 {
			id := fmt.Sprintf("S%07d", r.IntN(*benchEntries))
			e, ok := ix.Get("SYNTHETIC", id)
			if !ok {
				continue
			}
			q := Query{Name: typo(r, e.Name), Kind: e.Kind}
			if len(e.BirthDates) > 0 {
				q.BirthDate = e.BirthDates[0]
			}
			typos++
			if slices.ContainsFunc(ix.Search(q, SearchOptions{}), func(m Match) bool { return m.Entry.ID == id }) {
				typoFound++
			}
		}
		b.ReportMetric(float64(typoFound)/float64(typos), "typo-recall-1M")
	}
}
