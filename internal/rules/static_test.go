package rules

import (
	"reflect"
	"strings"
	"testing"
)

// TestRulesThatCanNeverEvaluateAreRefused: what can be seen before a rule runs is refused with
// its line and column.
func TestRulesThatCanNeverEvaluateAreRefused(t *testing.T) {
	withParams := func(e string, params map[string]any) Rule {
		r := rule("S", e)
		r.Parameters = params
		return r
	}
	for _, c := range []struct {
		name string
		rule Rule
		want []string
	}{
		{"a string field", rule("S", "user.userId"),
			[]string{"expression: line 1, column 6: the rule evaluates to a null or string, not a boolean (true is a hit)"}},
		{"a nested number field", rule("S", "user.transactionLimits?.maximumDailyTransactionLimit?.amountValue"),
			[]string{"expression: line 1, column 55: the rule evaluates to a null or number, not a boolean (true is a hit)"}},
		{"an array element's field", rule("S", "user.legalDocuments[0].documentNumber"),
			[]string{"expression: line 1, column 24: the rule evaluates to a null or string, not a boolean (true is a hit)"}},
		{"an event field", rule("S", "\nevent.reason"),
			[]string{"expression: line 2, column 7: the rule evaluates to a null or string, not a boolean (true is a hit)"}},
		{"a text parameter", withParams("params.country", map[string]any{"country": "DE"}),
			[]string{"expression: line 1, column 8: the rule evaluates to a string, not a boolean (true is a hit)"}},
		{"a count", rule("S", `changes("email", 30)`),
			[]string{"expression: line 1, column 1: the rule evaluates to a number, not a boolean (true is a hit)"}},
		{"a sum of fields", rule("S", `user.a + user.b`),
			[]string{"expression: line 1, column 8: the rule evaluates to a number or string, not a boolean (true is a hit)"}},
		{"either branch a string", rule("S", `user.a == 1 ? user.userId : user.createdTimestamp`),
			[]string{"expression: line 1, column 49: the rule evaluates to a null or number or string, not a boolean (true is a hit)"}},
		{"an unknown list", rule("S", `onList(user.userDetails?.countryOfResidence, "fatfX")`),
			[]string{`expression: line 1, column 46: onList: "fatfX" is not a country list of the tenant's risk model (one of euHighRisk, fatfCallForAction, fatfIncreasedMonitoring)`}},
		{"an unknown list in a parameter", withParams(`any(params.lists, onList(user.c, #))`, map[string]any{"lists": []any{"euHighRisk", "mine"}}),
			[]string{`expression: line 1, column 12: onList: "mine" is not a country list of the tenant's risk model (one of euHighRisk, fatfCallForAction, fatfIncreasedMonitoring)`}},
		{"a constant range too large", rule("S", `len(1..100000000) > 0`),
			[]string{"expression: line 1, column 6: the range 1..100000000 has 100000000 elements, more than the 100000 a rule may build"}},
		{"a function outside the allowed set", rule("S", `toJSON(user) != ""`),
			[]string{"expression: line 1, column 1: toJSON is not a function rules may call (see docs/rules.md for the allowed set)"}},
		{"a predicate builtin outside the allowed set", rule("S", `len(groupBy(user.l, #)) > 0`),
			[]string{"expression: line 1, column 5: groupBy is not a function rules may call (see docs/rules.md for the allowed set)"}},
		{"a reserved name", rule("S", `__m != nil`),
			[]string{"expression: line 1, column 1: __m: names starting with __, and $env, are reserved"}},
		{"the environment", rule("S", `$env["__m"] != nil`),
			[]string{"expression: line 1, column 1: $env: names starting with __, and $env, are reserved"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := problems(t, Check(c.rule, defaultLists))
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestRulesThatMayEvaluateAreKept: results that may be booleans, and what cannot be typed, pass.
func TestRulesThatMayEvaluateAreKept(t *testing.T) {
	for _, e := range []string{
		"user.sanctionsStatus",
		"user.legalEntity?.companyGeneralDetails?.userRegistrationStatus == 'REGISTERED'",
		"user.customField", // not in the schema: fields may be added
		"params.flag",
		"user.a ?? false",
		"let x = user.sanctionsStatus; x",
		`onList(user.c, params.list) && any(params.lists, onList(user.c, #))`,
		`len(1..100000) > 0`,
	} {
		r := rule("K", e)
		r.Parameters = map[string]any{"flag": true, "list": "euHighRisk", "lists": []any{"fatfCallForAction"}}
		if err := Check(r, defaultLists); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
	// A stored rule that no longer compiles, or whose list was removed from the risk model,
	// fails alone.
	s := CompileStored([]Rule{rule("GONE", `onList(user.c, "removed")`), rule("BAD", `user.a ==`), rule("OK", `true`)}, defaultLists)
	out := s.Evaluate(Input{Now: testNow, User: map[string]any{"c": "DE"}})
	var failed []string
	for _, f := range out.Failures {
		failed = append(failed, f.RuleInstanceID+"/"+f.Reason)
	}
	if got := hitIDs(out); !reflect.DeepEqual(got, []string{"OK"}) || !reflect.DeepEqual(failed, []string{"GONE/error", "BAD/error"}) {
		t.Errorf("hits %v failures %v", got, failed)
	}
}

func TestLimits(t *testing.T) {
	l := Limits{MaxRules: 3, MaxExpressionBytes: 10}
	if p := l.CheckSize("", rule("L", "true || true")); len(p) != 1 || !strings.Contains(p[0], "is 12 bytes long, more than the 10 allowed") {
		t.Errorf("size: %q", p)
	}
	if p := l.CheckSize("", rule("L", "true")); p != nil {
		t.Errorf("size: %q", p)
	}
	if p := l.CheckCount(4); len(p) != 1 || !strings.Contains(p[0], "would have 4 rules, more than the 3 allowed") {
		t.Errorf("count: %q", p)
	}
	if p := l.CheckCount(3); p != nil {
		t.Errorf("count: %q", p)
	}
	if d := (Limits{}).WithDefaults(); d.MaxRules != DefaultMaxRules || d.MaxExpressionBytes != DefaultMaxExpressionBytes {
		t.Errorf("defaults %+v", d)
	}
}
