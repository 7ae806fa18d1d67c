package rules

import (
	"encoding/json"
	"testing"
)

// TestAggregatesJSONMatchesEncodingJSON compares the hand-written encoder with encoding/json on
// the shapes aggregates take: empty, partly set, full, and empty but allocated collections.
func TestAggregatesJSONMatchesEncodingJSON(t *testing.T) {
	tests := map[string]Aggregates{
		"zero":        {},
		"empty maps":  {Changes: map[string][]int64{}, KYCFailures: []int64{}},
		"state only":  {StateChangedAt: 1700000000000},
		"failures":    {KYCFailures: []int64{1, 2}},
		"one change":  {Changes: map[string][]int64{"email": {5}}},
		"all, sorted": {Changes: map[string][]int64{"state": {3, 4}, "email": {1}, "kycStatus": nil}, StateChangedAt: 4, KYCFailures: []int64{2}},
	}
	for name, a := range tests {
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("%s: got %s, want %s", name, got, want)
		}
	}
	results := []Result{{RuleInstanceID: "R-1", RuleName: "a", RuleHit: true, Vars: []Vars{{Value: map[string]any{"n": 1.5, "s": "x"}}}, Labels: []string{}, IsShadow: true}}
	for name, list := range map[string][]Result{"nil": nil, "empty": {}, "one": results} {
		want, _ := json.Marshal(list)
		if got, err := AppendResults(nil, list); err != nil || string(got) != string(want) {
			t.Errorf("results %s: got %s, %v; want %s", name, got, err, want)
		}
	}
}
