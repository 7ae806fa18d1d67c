package vigil

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/schema"
)

// TestEvaluationJSONMatchesEncodingJSON compares the hand-written encoder with encoding/json on
// the default library's real results (hits with vars included) and on values that exercise
// every omitted, nil and escaped case.
func TestEvaluationJSONMatchesEncodingJSON(t *testing.T) {
	set, err := rules.Compile(rules.Library(), countryLists(risk.Default()))
	if err != nil {
		t.Fatal(err)
	}
	risky, err := schema.DecodeObject([]byte(`{"userId":"u","sanctionsStatus":true,"adverseMediaStatus":true,"pepStatus":[{"isPepHit":true}],
		"kycStatusDetails":{"status":"FAILED"},"userDetails":{"countryOfResidence":"IR"},"userStateDetails":{"state":"BLOCKED"}}`))
	if err != nil {
		t.Fatal(err)
	}
	out := set.Evaluate(rules.Input{UserType: "CONSUMER", Stage: stageUpdate, User: risky, Previous: schema.Object{}, Now: time.UnixMilli(1_800_000_000_000)})
	withVars := 0
	for _, r := range out.Executed {
		withVars += len(r.Vars)
	}
	if len(out.Hits) == 0 || withVars == 0 {
		t.Fatalf("the risky profile hit %d rules with %d vars: the test would not cover them", len(out.Hits), withVars)
	}
	details := risk.Details{KYCRiskScore: 20.44, CRARiskScore: 1e-7, KYCRiskLevel: "LOW", CRARiskLevel: "VERY_HIGH"}
	tests := []Evaluation{
		{ExecutedRules: out.Executed, HitRules: out.Hits, RiskScoreDetails: &details, Status: mostSevere(out.Hits)},
		{},
		{ExecutedRules: []rules.Result{}, HitRules: []rules.Hit{}, Status: "ALLOW"},
		{ExecutedRules: []rules.Result{{RuleInstanceID: "i", RuleName: `"quoted" <b>&`, RuleDescription: "Zoë\n\u2028", IsShadow: true,
			Vars:   []rules.Vars{{Value: map[string]any{"n": json.Number("1.50"), "f": 2.5e21, "list": []any{"a", nil, true}}}, {}},
			Labels: []string{}, Nature: "AML"}},
			HitRules:         []rules.Hit{{RuleID: "R", RuleInstanceID: "i", VersionID: "v", ExecutedAt: -1, IsShadow: true}},
			RiskScoreDetails: &risk.Details{KYCRiskScore: 100, CRARiskScore: 0}},
	}
	// A result whose text no longer is its rule's must not take the rule's encoded text.
	renamed := slices.Clone(out.Executed)
	renamed[0].RuleName, renamed[1].RuleDescription = "renamed", "described again"
	tests = append(tests, Evaluation{ExecutedRules: renamed, HitRules: []rules.Hit{renamed[0].AsHit()}, Status: "ALLOW"})
	for i, ev := range tests {
		for _, with := range []*rules.Set{nil, set} {
			got, err := ev.appendJSON(nil, with)
			if err != nil {
				t.Fatal(err)
			}
			if want := mustEncode(ev); string(got) != string(want) {
				t.Errorf("case %d (set %v):\n got %s\nwant %s", i, with != nil, got, want)
			}
		}
	}
}

// TestRuleStateJSONMatchesEncodingJSON does the same for the state a user keeps for its rules.
func TestRuleStateJSONMatchesEncodingJSON(t *testing.T) {
	shadow := []rules.Result{{RuleInstanceID: "S-1", RuleName: "shadow", RuleHit: true, Labels: []string{"x"}, IsShadow: true,
		Vars: []rules.Vars{{Value: map[string]any{"n": json.Number("2")}}}}}
	tests := []ruleState{
		{},
		{Shadow: []rules.Result{}, Hits: []string{}},
		{Aggregates: rules.Aggregates{Changes: map[string][]int64{"state": {1, 2}, "email": {3}}, StateChangedAt: 2, KYCFailures: []int64{1}},
			Shadow: shadow, Hits: []string{"R-1", "R-2"}},
	}
	for i, st := range tests {
		got, err := st.appendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := mustEncode(st); string(got) != string(want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// BenchmarkEvaluationJSON encodes the default library's evaluation of one write, by hand and
// through encoding/json.
func BenchmarkEvaluationJSON(b *testing.B) {
	set, err := rules.Compile(rules.Library(), countryLists(risk.Default()))
	if err != nil {
		b.Fatal(err)
	}
	user := schema.Object{"userId": "u", "sanctionsStatus": true}
	out := set.Evaluate(rules.Input{UserType: "CONSUMER", Stage: stageUpdate, User: user, Previous: schema.Object{}, Now: time.UnixMilli(1_800_000_000_000)})
	ev := Evaluation{ExecutedRules: out.Executed, HitRules: out.Hits, RiskScoreDetails: &risk.Details{KYCRiskScore: 20.44}, Status: "BLOCK"}
	b.Run("by hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ev.appendJSON(make([]byte, 0, 4096), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			mustEncode(ev)
		}
	})
}
