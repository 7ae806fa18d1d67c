package rules

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/schema"
)

// problems returns the problems of a *schema.Invalid, failing if err is something else.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var re *schema.Invalid
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *schema.Invalid", err, err)
	}
	if err.Error() != "invalid rule: "+strings.Join(re.Strings(), "; ") {
		t.Errorf("Error() = %q", err.Error())
	}
	return re.Strings()
}

// TestCheck checks that Check lists every problem of a rule, each once.
func TestCheck(t *testing.T) {
	valid := rule("X.1", `user.sanctionsStatus == true`)
	cases := []struct {
		name   string
		edit   func(r *Rule)
		expect []string // every problem, in order (sorted when the order is a map's)
		sorted bool
	}{
		{"valid", func(r *Rule) {}, nil, false},
		{"valid with every optional field", func(r *Rule) {
			r.Nature, r.Labels, r.UserTypes, r.Stages = "FRAUD", []string{"SCAM", "ACCOUNT_TAKEOVER"}, []string{"CONSUMER", "BUSINESS"}, []string{"INITIAL", "UPDATE"}
			r.Parameters = map[string]any{"a": 1.0}
			r.RiskLevelParameters = map[string]map[string]any{"VERY_LOW": {}, "LOW": {}, "MEDIUM": {}, "HIGH": {}, "VERY_HIGH": {}}
			r.RiskLevelActions = map[string]string{"VERY_LOW": "ALLOW", "HIGH": "SUSPEND", "VERY_HIGH": "BLOCK"}
			r.TriggersOnHit = &Triggers{UserStateDetails: &StateChange{State: "SUSPENDED"}, KYCStatusDetails: &KYCChange{Status: "MANUAL_REVIEW"},
				Tags: []Tag{{Key: "k", Value: ""}}}
		}, nil, false},
		{"everything missing", func(r *Rule) { *r = Rule{} }, []string{
			"ruleInstanceId: is required",
			"ruleId: is required",
			"ruleName: is required",
			"ruleDescription: is required",
			`ruleAction: "" is not one of ALLOW, FLAG, SUSPEND, BLOCK`,
			"expression: is required",
		}, false},
		{"blank expression", func(r *Rule) { r.Expression = " \n\t" }, []string{"expression: is required"}, false},
		{"unknown action", func(r *Rule) { r.Action = "WARN" }, []string{`ruleAction: "WARN" is not one of ALLOW, FLAG, SUSPEND, BLOCK`}, false},
		{"lower-case action", func(r *Rule) { r.Action = "flag" }, []string{`ruleAction: "flag" is not one of ALLOW, FLAG, SUSPEND, BLOCK`}, false},
		{"bad enums", func(r *Rule) {
			r.Nature = "TAX"
			r.Labels = []string{"SCAM", "NOPE", "sanctions"}
			r.UserTypes = []string{"CONSUMER", "PERSON"}
			r.Stages = []string{"LATER", "UPDATE"}
		}, []string{
			`nature: "TAX" is not one of AML, FRAUD, CTF, SCREENING`,
			`labels[1]: "NOPE" is not a RuleLabels value`,
			`labels[2]: "sanctions" is not a RuleLabels value`,
			`userTypes[1]: "PERSON" is not one of CONSUMER, BUSINESS`,
			`stages[0]: "LATER" is not one of INITIAL, UPDATE`,
		}, false},
		{"bad instance ids", func(r *Rule) { r.InstanceID = "a/b" }, []string{"ruleInstanceId: must be at most 128 characters without / ? # %"}, false},
		{"instance id with %", func(r *Rule) { r.InstanceID = "50%" }, []string{"ruleInstanceId: must be at most 128 characters without / ? # %"}, false},
		{"instance id too long", func(r *Rule) { r.InstanceID = strings.Repeat("a", 129) }, []string{"ruleInstanceId: must be at most 128 characters without / ? # %"}, false},
		{"instance id of 128 characters", func(r *Rule) { r.InstanceID = strings.Repeat("a", 128) }, nil, false},
		{"bad risk levels", func(r *Rule) {
			r.RiskLevelActions = map[string]string{"EXTREME": "BLOCK", "HIGH": "WARN", "LOW": "FLAG"}
			r.RiskLevelParameters = map[string]map[string]any{"SUPER": {"a": 1.0}, "MEDIUM": {}, "high": {}}
		}, []string{
			`riskLevelActions.EXTREME: not a risk level`,
			`riskLevelActions.HIGH: "WARN" is not one of ALLOW, FLAG, SUSPEND, BLOCK`,
			`riskLevelParameters.SUPER: not a risk level`,
			`riskLevelParameters.high: not a risk level`,
		}, true},
		{"bad triggers", func(r *Rule) {
			r.TriggersOnHit = &Triggers{UserStateDetails: &StateChange{State: "GONE"}, KYCStatusDetails: &KYCChange{Status: "MAYBE"},
				Tags: []Tag{{Key: "ok", Value: "1"}, {Key: "", Value: "2"}}}
		}, []string{
			`triggersOnHit.userStateDetails.state: "GONE" is not a UserState`,
			`triggersOnHit.kycStatusDetails.status: "MAYBE" is not a KycStatus`,
			`triggersOnHit.tags[1].key: is required`,
		}, false},
		{"non-boolean expression", func(r *Rule) { r.Expression = "1 + 1" }, []string{"expression: expected bool, but got int"}, false},
		{"string expression", func(r *Rule) { r.Expression = `"true"` }, []string{"expression: expected bool, but got string"}, false},
		{"syntax error", func(r *Rule) { r.Expression = "user.a == )" }, []string{`expression: line 1, column 11: unexpected token Bracket(")")`}, false},
		{"syntax error on line 2", func(r *Rule) { r.Expression = "user.a == 1 &&\n  user.b ==== 2" },
			[]string{`expression: line 2, column 12: unexpected token Operator("==")`}, false},
		{"unterminated string", func(r *Rule) { r.Expression = `user.a == 'x` }, []string{"expression: line 1, column 13: literal not terminated"}, false},
		{"unknown function", func(r *Rule) { r.Expression = `isSanctioned(user)` }, []string{"expression: line 1, column 1: isSanctioned is not a function rules may call (see docs/rules.md for the allowed set)"}, false},
		{"unknown variable", func(r *Rule) { r.Expression = `user.a == 1 || customer.b == 2` }, []string{"expression: line 1, column 16: unknown name customer"}, false},
		{"wrong argument type", func(r *Rule) { r.Expression = `changes(1, 30) > 0` },
			[]string{"expression: line 1, column 9: changes: the attribute must be a quoted name, one of address, documents, email, kycStatus, name, nationality, paymentDetails, phone, residence, state"}, false},
		{"misspelt attribute", func(r *Rule) { r.Expression = `changes("emial", 30) > 0` },
			[]string{`expression: line 1, column 9: changes: "emial" is not a tracked attribute (one of address, documents, email, kycStatus, name, nationality, paymentDetails, phone, residence, state)`}, false},
		{"wrong argument count", func(r *Rule) { r.Expression = `kycFailures() > 0` }, []string{"expression: line 1, column 1: not enough arguments to call kycFailures"}, false},
		{"field and expression problems together", func(r *Rule) { r.Name, r.Action, r.Expression = "", "NOPE", "1 +" }, []string{
			"ruleName: is required",
			`ruleAction: "NOPE" is not one of ALLOW, FLAG, SUSPEND, BLOCK`,
			"expression: line 1, column 3: unexpected token EOF",
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := valid
			c.edit(&r)
			got := problems(t, Check(r, nil))
			if c.sorted {
				got = append([]string(nil), got...)
				sort.Strings(got)
			}
			if !reflect.DeepEqual(got, c.expect) {
				t.Errorf("problems:\n got %q\nwant %q", got, c.expect)
			}
			// Compile reports the same problems, prefixed with the rule's position and id.
			_, err := Compile([]Rule{rule("OTHER", "true"), r}, defaultLists)
			cp := problems(t, err)
			if len(cp) != len(c.expect) {
				t.Fatalf("Compile problems = %q", cp)
			}
			for _, p := range cp {
				if !strings.HasPrefix(p, fmt.Sprintf("rules[1] (%s): ", r.InstanceID)) {
					t.Errorf("Compile problem %q lacks its rule", p)
				}
			}
		})
	}
}

// TestNodeBudget checks that an expression over the node budget is refused at compile time and
// one within it compiles.
func TestNodeBudget(t *testing.T) {
	terms := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("user.userDetails?.countryOfResidence == %q", fmt.Sprintf("C%d", i))
		}
		return strings.Join(parts, " || ")
	}
	for _, c := range []struct {
		n  int
		ok bool
	}{{10, true}, {200, true}, {1000, false}, {3000, false}} {
		t.Run(fmt.Sprint(c.n), func(t *testing.T) {
			err := Check(rule("BIG", terms(c.n)), nil)
			if c.ok {
				if err != nil {
					t.Fatalf("%d terms: %v", c.n, err)
				}
				return
			}
			ps := problems(t, err)
			if len(ps) != 1 || !strings.HasPrefix(ps[0], "expression: line 1, column ") || !strings.Contains(ps[0], "exceeds maximum allowed nodes") {
				t.Errorf("%d terms: problems %q", c.n, ps)
			}
		})
	}
	t.Run("list items count as nodes", func(t *testing.T) {
		list := func(n int) string {
			items := make([]string, n)
			for i := range items {
				items[i] = fmt.Sprintf("%q", fmt.Sprint(i))
			}
			return "user.a in [" + strings.Join(items, ",") + "]"
		}
		if err := Check(rule("LIST", list(1500)), nil); err != nil {
			t.Errorf("1500 items: %v", err)
		}
		if err := Check(rule("LIST", list(2500)), nil); err == nil || !strings.Contains(err.Error(), "exceeds maximum allowed nodes") {
			t.Errorf("2500 items: %v", err)
		}
	})
}

// TestCompile checks Compile on sets: problems of every rule, duplicate instance ids (also among
// disabled rules), disabled rules checked but not kept.
func TestCompile(t *testing.T) {
	disabled := false
	off := func(r Rule) Rule { r.Enabled = &disabled; return r }
	cases := []struct {
		name  string
		rules []Rule
		want  []string
		kept  []string
	}{
		{"library", Library(), nil, []string{"R-U1.1", "R-U2.1", "R-U3.1", "R-U4.1", "R-U5.1", "R-U6.1", "R-U7.1",
			"R-U8.1", "R-U9.1", "R-U10.1", "R-U11.1", "R-U12.1", "R-U13.1", "R-U14.1", "R-U15.1"}},
		{"empty", nil, nil, nil},
		{"disabled rules are not kept", []Rule{rule("A", "true"), off(rule("B", "true")), rule("C", "false")}, nil, []string{"A", "C"}},
		{"duplicate", []Rule{rule("A", "true"), rule("B", "true"), rule("A", "false")},
			[]string{`rules[2]: ruleInstanceId "A" is used twice`}, nil},
		{"duplicate of a disabled rule", []Rule{off(rule("A", "true")), rule("A", "false"), rule("A", "true")},
			[]string{`rules[1]: ruleInstanceId "A" is used twice`, `rules[2]: ruleInstanceId "A" is used twice`}, nil},
		{"invalid disabled rule", []Rule{off(rule("A", "1 +"))}, []string{"rules[0] (A): expression: line 1, column 3: unexpected token EOF"}, nil},
		{"problems of several rules", []Rule{rule("A", "1"), rule("B", "true"), func() Rule { r := rule("C", "true"); r.Action = "X"; return r }(), rule("B", "true")},
			[]string{
				"rules[0] (A): expression: expected bool, but got int",
				`rules[2] (C): ruleAction: "X" is not one of ALLOW, FLAG, SUSPEND, BLOCK`,
				`rules[3]: ruleInstanceId "B" is used twice`,
			}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Compile(c.rules, defaultLists)
			got := problems(t, err)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("problems:\n got %q\nwant %q", got, c.want)
			}
			if c.want != nil {
				if s != nil {
					t.Error("a set was returned with problems")
				}
				return
			}
			var ids []string
			for _, r := range s.rules {
				ids = append(ids, r.InstanceID)
			}
			if !reflect.DeepEqual(ids, c.kept) {
				t.Errorf("kept %v, want %v", ids, c.kept)
			}
		})
	}
	t.Run("lists reach onList", func(t *testing.T) {
		r := rule("L", `onList(user.c, "mine") && !onList(user.c, "fatfCallForAction")`)
		for _, c := range []struct {
			lists map[string][]string
			want  bool
		}{
			{map[string][]string{"mine": {"NO", "SE"}, "fatfCallForAction": {}}, true},
			{map[string][]string{"mine": {"SE"}, "fatfCallForAction": {}}, false},
			{map[string][]string{"mine": {"NO"}, "fatfCallForAction": {"NO"}}, false},
			{nil, false}, // a list the model does not have: the rule fails
		} {
			s, err := Compile([]Rule{r}, c.lists)
			if err != nil {
				t.Fatal(err)
			}
			out := s.Evaluate(Input{Now: testNow, User: map[string]any{"c": "NO"}})
			if out.Executed[0].RuleHit != c.want {
				t.Errorf("lists %v: hit = %v, want %v", c.lists, out.Executed[0].RuleHit, c.want)
			}
		}
	})
}

// TestParseRules checks the accepted documents (a YAML or JSON list, an object with rules) and
// the refusal of unknown fields and malformed documents.
func TestParseRules(t *testing.T) {
	const yamlList = `
- ruleId: RC-1
  ruleInstanceId: RC-1.1
  ruleName: Large limit
  ruleDescription: The daily limit is large.
  ruleAction: FLAG
  nature: AML
  labels: [EDD_TRIGGER]
  userTypes: [CONSUMER]
  stages: [INITIAL, UPDATE]
  expression: user.transactionLimits?.maximumDailyTransactionLimit?.amountValue > params.limit
  parameters: {limit: 10000}
  riskLevelParameters:
    HIGH: {limit: 5000}
  riskLevelActions:
    HIGH: SUSPEND
  isShadow: true
  enabled: false
  triggersOnHit:
    kycStatusDetails: {status: MANUAL_REVIEW, reason: limit}
    tags: [{key: review, value: "yes"}]
- ruleId: RC-2
  ruleInstanceId: RC-2.1
  ruleName: Sanctioned
  ruleDescription: Sanctioned user.
  ruleAction: BLOCK
  expression: user.sanctionsStatus == true
`
	enabled := false
	want := []Rule{
		{ID: "RC-1", InstanceID: "RC-1.1", Name: "Large limit", Description: "The daily limit is large.", Action: "FLAG",
			Nature: "AML", Labels: []string{"EDD_TRIGGER"}, UserTypes: []string{"CONSUMER"}, Stages: []string{"INITIAL", "UPDATE"},
			Expression:          "user.transactionLimits?.maximumDailyTransactionLimit?.amountValue > params.limit",
			Parameters:          map[string]any{"limit": 10000.0},
			RiskLevelParameters: map[string]map[string]any{"HIGH": {"limit": 5000.0}},
			RiskLevelActions:    map[string]string{"HIGH": "SUSPEND"}, Shadow: true, Enabled: &enabled,
			TriggersOnHit: &Triggers{KYCStatusDetails: &KYCChange{Status: "MANUAL_REVIEW", Reason: "limit"}, Tags: []Tag{{Key: "review", Value: "yes"}}}},
		{ID: "RC-2", InstanceID: "RC-2.1", Name: "Sanctioned", Description: "Sanctioned user.", Action: "BLOCK",
			Expression: "user.sanctionsStatus == true"},
	}
	jsonList := `[{"ruleId":"RC-1","ruleInstanceId":"RC-1.1","ruleName":"Large limit","ruleDescription":"The daily limit is large.",
	  "ruleAction":"FLAG","nature":"AML","labels":["EDD_TRIGGER"],"userTypes":["CONSUMER"],"stages":["INITIAL","UPDATE"],
	  "expression":"user.transactionLimits?.maximumDailyTransactionLimit?.amountValue > params.limit","parameters":{"limit":1e4},
	  "riskLevelParameters":{"HIGH":{"limit":5000}},"riskLevelActions":{"HIGH":"SUSPEND"},"isShadow":true,"enabled":false,
	  "triggersOnHit":{"kycStatusDetails":{"status":"MANUAL_REVIEW","reason":"limit"},"tags":[{"key":"review","value":"yes"}]}},
	 {"ruleId":"RC-2","ruleInstanceId":"RC-2.1","ruleName":"Sanctioned","ruleDescription":"Sanctioned user.","ruleAction":"BLOCK",
	  "expression":"user.sanctionsStatus == true"}]`
	indented := strings.ReplaceAll(yamlList, "\n", "\n  ")
	accepted := map[string]string{
		"YAML list":           yamlList,
		"JSON list":           jsonList,
		"YAML object":         "rules:" + indented,
		"JSON object":         `{"rules": ` + jsonList + `}`,
		"JSON object, spaced": "\n  {\n \"rules\": " + jsonList + "}\n",
	}
	for name, document := range accepted {
		t.Run(name, func(t *testing.T) {
			got, err := ParseRules([]byte(document))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseRules =\n%s\nwant\n%s", jsonOf(got), jsonOf(want))
			}
		})
	}
	refused := []struct{ name, document, problem string }{
		{"unknown rule field", "- ruleId: A\n  ruleInstanceId: A\n  ruleActon: FLAG\n", `unknown field "ruleActon"`},
		{"unknown trigger field", "- ruleId: A\n  triggersOnHit: {state: BLOCKED}\n", `unknown field "state"`},
		{"unknown top-level field", "rules: []\nversion: 2\n", `unknown field "version"`},
		{"misspelt rules", "rule:\n  - ruleId: A\n", `unknown field "rule"`},
		{"unknown field in JSON object", `{"rules": [{"ruleId": "A", "extra": 1}]}`, `unknown field "extra"`},
		{"malformed YAML", "- ruleId: [A\n", "not valid JSON or YAML"},
		{"malformed JSON", `[{"ruleId": "A"`, "not valid JSON or YAML"},
		{"a scalar", "just text", "cannot unmarshal string"},
		{"wrong type", "- ruleId: A\n  labels: SCAM\n", "cannot unmarshal string"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseRules([]byte(c.document))
			ps := problems(t, err)
			if len(ps) != 1 || !strings.Contains(ps[0], c.problem) {
				t.Errorf("problems %q, want one containing %q (rules %v)", ps, c.problem, got)
			}
		})
	}
	t.Run("ParseRule", func(t *testing.T) {
		r, err := ParseRule([]byte("ruleId: RC-2\nruleInstanceId: RC-2.1\nruleName: Sanctioned\nruleDescription: Sanctioned user.\nruleAction: BLOCK\nexpression: user.sanctionsStatus == true\n"))
		if err != nil || !reflect.DeepEqual(r, want[1]) {
			t.Errorf("ParseRule = %+v, %v", r, err)
		}
		r, err = ParseRule([]byte(`{"ruleId": "RC-2", "ruleInstanceId": "RC-2.1", "ruleName": "Sanctioned", "ruleDescription": "Sanctioned user.", "ruleAction": "BLOCK", "expression": "user.sanctionsStatus == true"}`))
		if err != nil || !reflect.DeepEqual(r, want[1]) {
			t.Errorf("ParseRule of JSON = %+v, %v", r, err)
		}
		for _, bad := range []string{"ruleId: A\nrules: []\n", "- ruleId: A\n", "ruleId: [A\n"} {
			if _, err := ParseRule([]byte(bad)); len(problems(t, err)) != 1 {
				t.Errorf("ParseRule(%q) = %v", bad, err)
			}
		}
	})
	t.Run("parsed rules compile and run", func(t *testing.T) {
		rs, err := ParseRules([]byte(yamlList))
		if err != nil {
			t.Fatal(err)
		}
		rs[0].Enabled = nil
		s := mustCompile(t, rs...)
		u := profile(t, cleanConsumer, edit{"transactionLimits.maximumDailyTransactionLimit.amountValue", "6000"}, edit{"sanctionsStatus", "true"})
		out := s.Evaluate(Input{UserType: "CONSUMER", Stage: "UPDATE", User: u, Previous: u, Now: testNow, RiskLevel: "HIGH"})
		if !reflect.DeepEqual(shadowIDs(out), []string{"RC-1.1"}) || !out.Shadow[0].RuleHit || out.Shadow[0].RuleAction != "SUSPEND" {
			t.Errorf("shadow = %+v", out.Shadow)
		}
		if !reflect.DeepEqual(hitIDs(out), []string{"RC-2.1"}) || len(out.Triggers) != 0 {
			t.Errorf("hits %v triggers %v", hitIDs(out), out.Triggers)
		}
	})
}

// TestParseRulesKeepsCountryCodes: two-letter country codes in a YAML rule document are strings.
// YAML 1.1 parsers (those built on yaml.v2) read unquoted NO (Norway), ON, Y and N as
// booleans, so a tenant's list [NO, SE] silently becomes [false, "SE"] and the rule never matches
// Norway.
func TestParseRulesKeepsCountryCodes(t *testing.T) {
	rs, err := ParseRules([]byte(`
- ruleId: RC-N
  ruleInstanceId: RC-N.1
  ruleName: Nordic residents
  ruleDescription: Residence in a Nordic country.
  ruleAction: FLAG
  expression: user.userDetails?.countryOfResidence in params.countries
  parameters:
    countries: [NO, SE, DK]
`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rs[0].Parameters["countries"], []any{"NO", "SE", "DK"}; !reflect.DeepEqual(got, want) {
		t.Errorf("countries = %#v, want %#v", got, want)
	}
}
