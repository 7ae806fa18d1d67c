package screening

import "testing"

// TestEvaluation runs the generated evaluation set (go run ./internal/screening/cmd/screeneval
// prints the same numbers by category) and fails under the targets of issue 23.
func TestEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("the evaluation indexes 4,000 entries and runs 4,000 queries")
	}
	set := GenerateEvalSet(EvalSeed, EvalEntries)
	res := Evaluate(set, DefaultThreshold)
	t.Logf("precision %.4f recall %.4f (tp %d fp %d fn %d; missed %v; wrong %v)", res.Precision, res.Recall, res.TruePositives, res.FalsePositives, res.FalseNegatives, res.Missed, res.Wrong)
	if res.Recall < TargetRecall || res.Precision < TargetPrecision {
		t.Errorf("recall %.4f (target %.2f), precision %.4f (target %.2f)", res.Recall, TargetRecall, res.Precision, TargetPrecision)
		for _, s := range append(res.ExampleMisses, res.ExampleFPs...) {
			t.Log(s)
		}
	}
	if res.PositiveCases < 1000 || res.NegCases < 1000 {
		t.Errorf("only %d positive and %d negative cases", res.PositiveCases, res.NegCases)
	}
}
