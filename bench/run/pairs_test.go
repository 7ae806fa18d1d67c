package main

import (
	"slices"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/bench/loadgen"
)

func TestRunOrderAlternatesTheComparedBuilds(t *testing.T) {
	for _, tc := range []struct {
		n, a, b int
		want    []int
	}{
		{n: 0, a: 2, b: 3, want: []int{0, 1, 2, 3, 4}},
		{n: 1, a: 2, b: 3, want: []int{0, 1, 3, 2, 4}},
		{n: 2, a: 2, b: 3, want: []int{0, 1, 2, 3, 4}},
		{n: 1, a: 2, b: -1, want: []int{0, 1, 2, 3, 4}}, // nothing to compare
	} {
		if got := runOrder(5, tc.n, tc.a, tc.b); !slices.Equal(got, tc.want) {
			t.Errorf("runOrder(5, %d, %d, %d) = %v, want %v", tc.n, tc.a, tc.b, got, tc.want)
		}
	}
}

func TestPairRatios(t *testing.T) {
	rate := func(events int) loadgen.Result { return loadgen.Result{Events: events, Elapsed: time.Second} }
	results := [][]loadgen.Result{
		{rate(110), rate(90), rate(100), rate(120)}, // the build measured
		{rate(100), rate(100), rate(100), rate(100)},
	}
	if got, want := percents(pairRatios(results, 0, 1)), "+10% -10% +0% +20%; median +5%"; got != want {
		t.Errorf("percents = %q, want %q", got, want)
	}
	if got := pairRatios(results, 0, -1); got != nil {
		t.Errorf("pairRatios without a second build = %v, want none", got)
	}
}
