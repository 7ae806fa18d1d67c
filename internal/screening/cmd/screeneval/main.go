// Command screeneval generates the screening evaluation set and prints the matcher's
// precision and recall at the default threshold (or the one given), with the misses and
// false positives by category.
//
//	go run ./internal/screening/cmd/screeneval [-seed 23] [-entries 4000] [-threshold 0.86] [-v]
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/vigil-aml/vigil/internal/screening"
)

func main() {
	seed := flag.Uint64("seed", screening.EvalSeed, "seed of the generated evaluation set")
	entries := flag.Int("entries", screening.EvalEntries, "entries of the generated list")
	threshold := flag.Float64("threshold", screening.DefaultThreshold, "score from which a match is reported")
	verbose := flag.Bool("v", false, "print example misses and false positives")
	flag.Parse()
	set := screening.GenerateEvalSet(*seed, *entries)
	res := screening.Evaluate(set, *threshold)
	fmt.Printf("entries %d, positive queries %d, negative queries %d, threshold %.3f\n", len(set.Entries), res.PositiveCases, res.NegCases, res.Threshold)
	fmt.Printf("precision %.4f (true positives %d, false positives %d)\n", res.Precision, res.TruePositives, res.FalsePositives)
	fmt.Printf("recall    %.4f (false negatives %d)\n", res.Recall, res.FalseNegatives)
	for _, k := range slices.Sorted(maps.Keys(res.Missed)) {
		fmt.Printf("  missed   %-45s %d\n", k, res.Missed[k])
	}
	for _, k := range slices.Sorted(maps.Keys(res.Wrong)) {
		fmt.Printf("  wrong    %-45s %d\n", k, res.Wrong[k])
	}
	if *verbose {
		for _, s := range res.ExampleMisses {
			fmt.Println("miss:", s)
		}
		for _, s := range res.ExampleFPs {
			fmt.Println("false positive:", s)
		}
	}
	if res.Recall < screening.TargetRecall || res.Precision < screening.TargetPrecision {
		os.Exit(1)
	}
}
