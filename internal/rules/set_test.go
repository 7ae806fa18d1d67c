package rules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// libraryResult evaluates the library and returns one rule's result, failing on any failure.
func libraryResult(t *testing.T, s *Set, in Input, id string) Result {
	t.Helper()
	out := s.Evaluate(in)
	if len(out.Failures) != 0 {
		t.Fatalf("failures: %v", out.Failures)
	}
	r, ok := findResult(out.Executed, id)
	if !ok {
		t.Fatalf("%s did not run: %v", id, executedIDs(out))
	}
	return r
}

// TestContactChangesWindow checks R-U8 (3 changes in 30 days) at the window's edge: a change
// exactly 30 days before now counts, one a millisecond older does not.
func TestContactChangesWindow(t *testing.T) {
	s := compileLibrary(t)
	cases := []struct {
		name  string
		first int64 // time of the first of three changes; the others are at now-15d and now
		want  bool
	}{
		{"first change a day inside", nowMs - 29*dayMs, true},
		{"first change a millisecond inside", nowMs - 30*dayMs + 1, true},
		{"first change exactly 30 days ago", nowMs - 30*dayMs, true},
		{"first change a millisecond outside", nowMs - 30*dayMs - 1, false},
		{"first change a day outside", nowMs - 31*dayMs, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prev, cur, agg := replay(t, cleanConsumer,
				step{c.first, []edit{{"contactDetails.emailIds", `["anna@mail.example"]`}}},
				step{nowMs - 15*dayMs, []edit{{"contactDetails.contactNumbers", `["+4917000000001"]`}}},
				step{nowMs, []edit{{"contactDetails.emailIds", `["anna@other.example"]`}}},
			)
			if got := agg.Changes["email"]; !reflect.DeepEqual(got, []int64{c.first, nowMs}) {
				t.Fatalf("email changes = %v", got)
			}
			in := Input{UserType: "CONSUMER", Stage: "UPDATE", User: cur, Previous: prev, Now: testNow, Aggregates: agg}
			r := libraryResult(t, s, in, "R-U8.1")
			if r.RuleHit != c.want {
				t.Errorf("R-U8 hit = %v, want %v", r.RuleHit, c.want)
			}
			if c.want {
				want := []Vars{{Value: map[string]any{"params.threshold": 3.0, "params.windowDays": 30.0}}}
				if !reflect.DeepEqual(r.Vars, want) {
					t.Errorf("vars = %v, want %v", r.Vars, want)
				}
			}
		})
	}
	// The same history evaluated later: the window moves with now.
	_, _, agg := replay(t, cleanConsumer,
		step{nowMs - 2*dayMs, []edit{{"contactDetails.emailIds", `["a@x.example"]`}}},
		step{nowMs - dayMs, []edit{{"contactDetails.addresses", `[]`}}},
		step{nowMs, []edit{{"contactDetails.contactNumbers", `[]`}}},
	)
	for _, c := range []struct {
		later time.Duration
		want  bool
	}{
		{0, true},
		{28 * 24 * time.Hour, true},
		{28*24*time.Hour + time.Millisecond, false},
	} {
		in := Input{UserType: "CONSUMER", Stage: "UPDATE", User: doc(t, cleanConsumer), Previous: doc(t, cleanConsumer),
			Now: testNow.Add(c.later), Aggregates: agg}
		if r := libraryResult(t, s, in, "R-U8.1"); r.RuleHit != c.want {
			t.Errorf("evaluated %v later: R-U8 hit = %v, want %v", c.later, r.RuleHit, c.want)
		}
	}
}

// TestKYCFailuresWindow checks R-U11 (2 failures in 90 days) at the window's edge.
func TestKYCFailuresWindow(t *testing.T) {
	s := compileLibrary(t)
	cases := []struct {
		name  string
		first int64
		want  bool
	}{
		{"first failure inside", nowMs - 89*dayMs, true},
		{"first failure exactly 90 days ago", nowMs - 90*dayMs, true},
		{"first failure a millisecond outside", nowMs - 90*dayMs - 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prev, cur, agg := replay(t, cleanConsumer,
				step{c.first, []edit{{"userStateDetails.state", `"CREATED"`}, {"kycStatusDetails.status", `"FAILED"`}}},
				step{c.first + 1, []edit{{"kycStatusDetails.status", `"IN_PROGRESS"`}}},
				step{nowMs - dayMs, []edit{{"kycStatusDetails.status", `"FAILED"`}}},
				step{nowMs, []edit{{"kycStatusDetails.status", `"MANUAL_REVIEW"`}}},
			)
			if !reflect.DeepEqual(agg.KYCFailures, []int64{c.first, nowMs - dayMs}) {
				t.Fatalf("KYCFailures = %v", agg.KYCFailures)
			}
			for _, stage := range []string{"UPDATE", "INITIAL"} {
				in := Input{UserType: "CONSUMER", Stage: stage, User: cur, Previous: prev, Now: testNow, Aggregates: agg}
				if r := libraryResult(t, s, in, "R-U11.1"); r.RuleHit != c.want {
					t.Errorf("%s: R-U11 hit = %v, want %v", stage, r.RuleHit, c.want)
				}
			}
		})
	}
	t.Run("a failed create counts", func(t *testing.T) {
		u := profile(t, cleanBusiness, edit{"kycStatusDetails.status", `"FAILED"`})
		agg := Aggregates{}.Update(nil, u, nowMs-10*dayMs)
		u2 := profile(t, cleanBusiness, edit{"kycStatusDetails.status", `"IN_PROGRESS"`})
		agg = agg.Update(u, u2, nowMs-5*dayMs)
		u3 := profile(t, cleanBusiness, edit{"kycStatusDetails.status", `"FAILED"`})
		agg = agg.Update(u2, u3, nowMs)
		in := Input{UserType: "BUSINESS", Stage: "UPDATE", User: u3, Previous: u2, Now: testNow, Aggregates: agg}
		if r := libraryResult(t, s, in, "R-U11.1"); !r.RuleHit {
			t.Errorf("R-U11 did not hit with failures %v", agg.KYCFailures)
		}
	})
}

// TestResidenceChangesWindow checks R-U13 (a residence or nationality change in 365 days).
func TestResidenceChangesWindow(t *testing.T) {
	s := compileLibrary(t)
	cases := []struct {
		name   string
		path   string
		change int64
		want   bool
	}{
		{"residence exactly a year ago", "userDetails.countryOfResidence", nowMs - 365*dayMs, true},
		{"residence a millisecond too early", "userDetails.countryOfResidence", nowMs - 365*dayMs - 1, false},
		{"nationality a month ago", "userDetails.countryOfNationality", nowMs - 30*dayMs, true},
		{"second nationality exactly a year ago", "userDetails.secondaryCountryOfNationality", nowMs - 365*dayMs, true},
		{"nationality two years ago", "userDetails.countryOfNationality", nowMs - 730*dayMs, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			value := `"AT"`
			if strings.HasPrefix(c.path, "userDetails.secondary") {
				value = `["AT"]`
			}
			prev, cur, agg := replay(t, cleanConsumer,
				step{c.change, []edit{{c.path, value}}},
				step{nowMs, []edit{{"occupation", `"Architect"`}}},
			)
			in := Input{UserType: "CONSUMER", Stage: "UPDATE", User: cur, Previous: prev, Now: testNow, Aggregates: agg}
			if r := libraryResult(t, s, in, "R-U13.1"); r.RuleHit != c.want {
				t.Errorf("R-U13 hit = %v, want %v (changes %v)", r.RuleHit, c.want, agg.Changes)
			}
		})
	}
}

// TestEnvFunctions checks the functions expressions call, on a fixed clock.
func TestEnvFunctions(t *testing.T) {
	agg := Aggregates{
		Changes: map[string][]int64{
			"email": {nowMs - 10*dayMs, nowMs - dayMs/2, nowMs - 1, nowMs},
			"phone": {nowMs - 100*dayMs},
		},
		KYCFailures:    []int64{nowMs - 3*dayMs, nowMs - 2*dayMs},
		StateChangedAt: nowMs - 36*int64(time.Hour/time.Millisecond),
	}
	env := newEnv(Input{Now: testNow, Aggregates: agg}, map[string]map[string]bool{"l": {"KP": true}})
	counts := []struct {
		attr string
		days float64
		want int
	}{
		{"email", 10, 4},
		{"email", 9.999, 3},
		{"email", 0.5, 3},
		{"email", 0.4, 2},
		{"email", 0, 1},
		{"email", -1, 0},
		{"email", 1e300, 4},
		{"phone", 100, 1},
		{"phone", 99, 0},
		{"address", 1000, 0},
		{"unknown", 1000, 0},
	}
	for _, c := range counts {
		if got := env["changes"].(func(any, any) any)(c.attr, c.days).(int); got != c.want {
			t.Errorf("changes(%q, %v) = %d, want %d", c.attr, c.days, got, c.want)
		}
	}
	if got := env["kycFailures"].(func(any) any)(3.0).(int); got != 2 {
		t.Errorf("kycFailures(3) = %d, want 2", got)
	}
	if got := env["kycFailures"].(func(any) any)(2.5).(int); got != 1 {
		t.Errorf("kycFailures(2.5) = %d, want 1", got)
	}
	if got := env["daysSinceStateChange"].(func() float64)(); got != 1.5 {
		t.Errorf("daysSinceStateChange() = %v, want 1.5", got)
	}
	if got := newEnv(Input{Now: testNow}, nil)["daysSinceStateChange"].(func() float64)(); got != -1 {
		t.Errorf("daysSinceStateChange() without a state change = %v, want -1", got)
	}
	if got := newEnv(Input{Now: testNow, Aggregates: Aggregates{StateChangedAt: nowMs}}, nil)["daysSinceStateChange"].(func() float64)(); got != 0 {
		t.Errorf("daysSinceStateChange() right after a change = %v, want 0", got)
	}
	for _, c := range []struct {
		country any
		list    string
		want    bool
	}{
		{"KP", "l", true}, {"DE", "l", false}, {nil, "l", false}, {1.0, "l", false}, {"kp", "l", false},
	} {
		if got := env["onList"].(func(any, any) bool)(c.country, c.list); got != c.want {
			t.Errorf("onList(%v, %q) = %v, want %v", c.country, c.list, got, c.want)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("onList of a list the model does not have did not fail")
			}
		}()
		env["onList"].(func(any, any) bool)("KP", "other")
	}()
	for _, c := range []struct {
		date any
		want float64
	}{
		{"1990-04-12", 36}, {"2008-07-01", 18}, {"2008-07-02", 17}, {"2008-08-01", 17}, {"2026-07-01", 0},
		{"2026-07-02", -1}, {"1990-13-01", -1}, {"12/04/1990", -1}, {nil, -1}, {19900412.0, -1},
	} {
		if got := env["ageYears"].(func(any) float64)(c.date); got != c.want {
			t.Errorf("ageYears(%v) = %v, want %v", c.date, got, c.want)
		}
	}
	for _, c := range []struct {
		ms   any
		want float64
	}{
		{float64(nowMs - 2*dayMs), 2}, {float64(nowMs), 0}, {float64(nowMs + dayMs/4), -0.25}, {"1", -1}, {nil, -1},
	} {
		if got := env["daysSince"].(func(any) float64)(c.ms); got != c.want {
			t.Errorf("daysSince(%v) = %v, want %v", c.ms, got, c.want)
		}
	}
	if env["now"] != float64(nowMs) {
		t.Errorf("now = %v, want %d", env["now"], nowMs)
	}
}

// TestDaysSinceStateChangeRule uses daysSinceStateChange() in a tenant rule, with aggregates
// built by Update: a dormant user that is updated after params.days of dormancy.
func TestDaysSinceStateChangeRule(t *testing.T) {
	r := rule("DORMANT", `user.userStateDetails?.state == "DORMANT" && daysSinceStateChange() >= params.days`)
	r.Parameters = map[string]any{"days": 180.0}
	s := mustCompile(t, r)
	cases := []struct {
		name      string
		dormantAt int64
		want      bool
		wantDays  float64
	}{
		{"dormant for a year", nowMs - 365*dayMs, true, 365},
		{"dormant for exactly 180 days", nowMs - 180*dayMs, true, 180},
		{"dormant for a millisecond less", nowMs - 180*dayMs + 1, false, 180 - 1/float64(dayMs)},
		{"dormant for a day", nowMs - dayMs, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prev, cur, agg := replay(t, cleanConsumer,
				step{c.dormantAt, []edit{{"userStateDetails.state", `"DORMANT"`}}},
				step{nowMs, []edit{{"contactDetails.emailIds", `["new@example.de"]`}}},
			)
			if agg.StateChangedAt != c.dormantAt {
				t.Fatalf("StateChangedAt = %d, want %d", agg.StateChangedAt, c.dormantAt)
			}
			in := Input{UserType: "CONSUMER", Stage: "UPDATE", User: cur, Previous: prev, Now: testNow, Aggregates: agg}
			if got := newEnv(in, nil)["daysSinceStateChange"].(func() float64)(); got != c.wantDays {
				t.Errorf("daysSinceStateChange() = %v, want %v", got, c.wantDays)
			}
			out := s.Evaluate(in)
			if len(out.Failures) != 0 || len(out.Executed) != 1 {
				t.Fatalf("executed %v, failures %v", executedIDs(out), out.Failures)
			}
			if out.Executed[0].RuleHit != c.want {
				t.Errorf("hit = %v, want %v", out.Executed[0].RuleHit, c.want)
			}
		})
	}
	t.Run("the write that changes the state resets the count", func(t *testing.T) {
		prev, cur, agg := replay(t, cleanConsumer, step{nowMs, []edit{{"userStateDetails.state", `"DORMANT"`}}})
		out := s.Evaluate(Input{UserType: "CONSUMER", Stage: "UPDATE", User: cur, Previous: prev, Now: testNow, Aggregates: agg})
		if len(out.Hits) != 0 {
			t.Errorf("hit right after becoming dormant: %v", hitIDs(out))
		}
	})
}

// TestRiskLevels checks per-CRA-level parameters and actions: the user's level picks them, a
// user without a level counts as VERY_HIGH, and a level without an entry falls back to
// parameters and ruleAction.
func TestRiskLevels(t *testing.T) {
	r := rule("LIMIT", `user.transactionLimits?.maximumDailyTransactionLimit?.amountValue > params.limit`)
	r.Action = "FLAG"
	r.Parameters = map[string]any{"limit": 10000.0}
	r.RiskLevelParameters = map[string]map[string]any{
		"VERY_LOW":  {"limit": 50000.0},
		"HIGH":      {"limit": 5000.0},
		"VERY_HIGH": {"limit": 1000.0},
	}
	r.RiskLevelActions = map[string]string{"LOW": "ALLOW", "HIGH": "SUSPEND", "VERY_HIGH": "BLOCK"}
	level := rule("LEVEL", `riskLevel == params.level`)
	level.Parameters = map[string]any{"level": "VERY_HIGH"}
	s := mustCompile(t, r, level)

	cases := []struct {
		riskLevel string
		amount    string
		wantHit   bool
		action    string
		executed  string
		limit     float64
	}{
		{"VERY_LOW", "20000", false, "FLAG", "VERY_LOW", 50000},
		{"VERY_LOW", "60000", true, "FLAG", "VERY_LOW", 50000},
		{"LOW", "7000", false, "ALLOW", "LOW", 10000},
		{"LOW", "10000.5", true, "ALLOW", "LOW", 10000},
		{"MEDIUM", "7000", false, "FLAG", "MEDIUM", 10000},
		{"MEDIUM", "1.2e4", true, "FLAG", "MEDIUM", 10000},
		{"HIGH", "3000", false, "SUSPEND", "HIGH", 5000},
		{"HIGH", "7000", true, "SUSPEND", "HIGH", 5000},
		{"VERY_HIGH", "1000", false, "BLOCK", "VERY_HIGH", 1000},
		{"VERY_HIGH", "3000", true, "BLOCK", "VERY_HIGH", 1000},
		{"", "1000", false, "BLOCK", "VERY_HIGH", 1000},
		{"", "3000", true, "BLOCK", "VERY_HIGH", 1000},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s", c.riskLevel, c.amount), func(t *testing.T) {
			u := profile(t, cleanConsumer, edit{"transactionLimits.maximumDailyTransactionLimit.amountValue", c.amount})
			out := s.Evaluate(Input{UserType: "CONSUMER", Stage: "UPDATE", User: u, Previous: u, Now: testNow, RiskLevel: c.riskLevel})
			if len(out.Failures) != 0 {
				t.Fatalf("failures: %v", out.Failures)
			}
			res, _ := findResult(out.Executed, "LIMIT")
			if res.RuleHit != c.wantHit || res.RuleAction != c.action || res.ExecutedRiskLevel != c.executed {
				t.Errorf("result hit=%v action=%s level=%s, want hit=%v action=%s level=%s",
					res.RuleHit, res.RuleAction, res.ExecutedRiskLevel, c.wantHit, c.action, c.executed)
			}
			if c.wantHit {
				if len(out.Hits) == 0 || out.Hits[0].RuleAction != c.action || out.Hits[0].ExecutedRiskLevel != c.executed {
					t.Errorf("hits = %+v, want action %s at %s", out.Hits, c.action, c.executed)
				}
				if got := res.Vars[0].Value["params.limit"]; got != c.limit {
					t.Errorf("vars params.limit = %v, want %v", got, c.limit)
				}
			}
			lv, _ := findResult(out.Executed, "LEVEL")
			if lv.RuleHit != (c.executed == "VERY_HIGH") || lv.ExecutedRiskLevel != c.executed || lv.RuleAction != "FLAG" {
				t.Errorf("riskLevel seen by the expression: hit=%v level=%s action=%s", lv.RuleHit, lv.ExecutedRiskLevel, lv.RuleAction)
			}
		})
	}

	t.Run("level parameters replace the base parameters entirely", func(t *testing.T) {
		r := rule("P", `params.a == 1 && params.b == nil`)
		r.Parameters = map[string]any{"a": 0.0, "b": 2.0}
		r.RiskLevelParameters = map[string]map[string]any{"HIGH": {"a": 1.0}}
		s := mustCompile(t, r)
		for level, want := range map[string]bool{"HIGH": true, "MEDIUM": false, "": false} {
			out := s.Evaluate(Input{UserType: "CONSUMER", Stage: "INITIAL", User: map[string]any{}, Now: testNow, RiskLevel: level})
			if out.Executed[0].RuleHit != want {
				t.Errorf("level %q: hit = %v, want %v", level, out.Executed[0].RuleHit, want)
			}
		}
	})
}

// TestResultsShape checks what Evaluate reports: live results in rule order, hits as their
// subset with the same fields, vars only on hits, shadow rules apart, disabled rules absent,
// triggers of live hits in rule order, failures as misses.
func TestResultsShape(t *testing.T) {
	enabled, disabled := true, false
	a := rule("A", `user.sanctionsStatus == true`)
	a.VersionID, a.Labels, a.Nature, a.Action = "v-a", []string{"SANCTIONS"}, "SCREENING", "BLOCK"
	a.Enabled = &enabled
	a.TriggersOnHit = &Triggers{UserStateDetails: &StateChange{State: "BLOCKED", Reason: "sanctioned"}}
	b := rule("B", `user.adverseMediaStatus == true`)
	b.TriggersOnHit = &Triggers{Tags: []Tag{{Key: "never", Value: "b"}}}
	c := rule("C", `user.userDetails?.countryOfResidence == "DE"`)
	c.Shadow, c.VersionID = true, "v-c"
	c.TriggersOnHit = &Triggers{Tags: []Tag{{Key: "never", Value: "c"}}}
	d := rule("D", `true`)
	d.Enabled = &disabled
	d.TriggersOnHit = &Triggers{Tags: []Tag{{Key: "never", Value: "d"}}}
	e := rule("E", `user.userDetails.name.firstName > 1`)
	e.TriggersOnHit = &Triggers{Tags: []Tag{{Key: "never", Value: "e"}}}
	f := rule("F", `any(user.sourceOfFunds ?? [], # == params.source)`)
	f.Action, f.Parameters, f.Labels, f.Nature = "SUSPEND", map[string]any{"source": "Salary"}, []string{"EDD_TRIGGER", "RFI_TRIGGER"}, "AML"
	f.TriggersOnHit = &Triggers{KYCStatusDetails: &KYCChange{Status: "EDD_IN_PROGRESS", Reason: "source"}, Tags: []Tag{{Key: "edd", Value: "salary"}}}
	g := rule("G", `user.adverseMediaStatus == true`)
	g.Shadow = true
	h := rule("H", `params.limit < user.transactionLimits.maximumDailyTransactionLimit.amountValue && previous == nil`)
	h.Parameters = map[string]any{"limit": 1000.0}
	s := mustCompile(t, a, b, c, d, e, f, g, h)

	u := profile(t, cleanConsumer, edit{"sanctionsStatus", `true`})
	in := Input{UserType: "CONSUMER", Stage: "INITIAL", User: u, Now: testNow, RiskLevel: "MEDIUM"}
	out := s.Evaluate(in)

	if got, want := executedIDs(out), []string{"A", "B", "E", "F", "H"}; !reflect.DeepEqual(got, want) {
		t.Errorf("executed = %v, want %v", got, want)
	}
	if got, want := hitIDs(out), []string{"A", "F", "H"}; !reflect.DeepEqual(got, want) {
		t.Errorf("hits = %v, want %v", got, want)
	}
	if got, want := shadowIDs(out), []string{"C", "G"}; !reflect.DeepEqual(got, want) {
		t.Errorf("shadow = %v, want %v", got, want)
	}
	if got, want := failureIDs(out), []string{"E"}; !reflect.DeepEqual(got, want) {
		t.Errorf("failures = %v, want %v", got, want)
	} else if out.Failures[0].Err == nil {
		t.Error("failure without an error")
	}
	wantTriggers := []Triggers{*a.TriggersOnHit, *f.TriggersOnHit}
	if !reflect.DeepEqual(out.Triggers, wantTriggers) {
		t.Errorf("triggers = %s, want %s", jsonOf(out.Triggers), jsonOf(wantTriggers))
	}

	wantVars := map[string]map[string]any{
		"A": {"user.sanctionsStatus": true},
		"F": {"params.source": "Salary", "user.sourceOfFunds": []any{"Salary"}},
		"H": {"params.limit": 1000.0, "user.transactionLimits.maximumDailyTransactionLimit.amountValue": 3000.0},
		"C": {"user.userDetails?.countryOfResidence": "DE"},
	}
	rules := map[string]Rule{"A": a, "B": b, "C": c, "E": e, "F": f, "G": g, "H": h}
	for _, list := range [][]Result{out.Executed, out.Shadow} {
		for _, res := range list {
			r := rules[res.RuleInstanceID]
			if res.RuleID != r.ID || res.RuleName != r.Name || res.RuleDescription != r.Description || res.RuleAction != r.Action ||
				res.VersionID != r.VersionID || res.Nature != r.Nature || !equalStrings(res.Labels, r.Labels) || res.IsShadow != r.Shadow {
				t.Errorf("result %s = %+v does not carry its rule %+v", res.RuleInstanceID, res, r)
			}
			if res.ExecutedAt != nowMs || res.ExecutedRiskLevel != "MEDIUM" {
				t.Errorf("result %s: executedAt %d level %s", res.RuleInstanceID, res.ExecutedAt, res.ExecutedRiskLevel)
			}
			want, hit := wantVars[res.RuleInstanceID]
			if res.RuleHit != hit {
				t.Errorf("result %s: hit = %v", res.RuleInstanceID, res.RuleHit)
			}
			if !hit && res.Vars != nil {
				t.Errorf("miss %s has vars %v", res.RuleInstanceID, res.Vars)
			}
			if hit && !reflect.DeepEqual(res.Vars, []Vars{{Value: want}}) {
				t.Errorf("vars of %s = %s, want %s", res.RuleInstanceID, jsonOf(res.Vars), jsonOf([]Vars{{Value: want}}))
			}
		}
	}
	for i, hit := range out.Hits {
		res, _ := findResult(out.Executed, hit.RuleInstanceID)
		want := Hit{RuleID: res.RuleID, RuleInstanceID: res.RuleInstanceID, RuleName: res.RuleName, RuleDescription: res.RuleDescription,
			RuleAction: res.RuleAction, VersionID: res.VersionID, ExecutedAt: res.ExecutedAt, ExecutedRiskLevel: res.ExecutedRiskLevel,
			Labels: res.Labels, Nature: res.Nature}
		if !reflect.DeepEqual(hit, want) {
			t.Errorf("hits[%d] = %+v, want %+v", i, hit, want)
		}
	}

	// The wire shape of a hit result and a hit.
	res, _ := findResult(out.Executed, "A")
	gotJSON, _ := json.Marshal(res)
	wantJSON := fmt.Sprintf(`{"ruleId":"RC-A","ruleInstanceId":"A","ruleName":"Rule A","ruleDescription":"Test rule A","ruleAction":"BLOCK","ruleHit":true,"versionId":"v-a","executedAt":%d,"executedRiskLevel":"MEDIUM","vars":[{"value":{"user.sanctionsStatus":true}}],"labels":["SANCTIONS"],"nature":"SCREENING"}`, nowMs)
	if string(gotJSON) != wantJSON {
		t.Errorf("result JSON\n got %s\nwant %s", gotJSON, wantJSON)
	}
	gotJSON, _ = json.Marshal(out.Hits[0])
	wantJSON = fmt.Sprintf(`{"ruleId":"RC-A","ruleInstanceId":"A","ruleName":"Rule A","ruleDescription":"Test rule A","ruleAction":"BLOCK","versionId":"v-a","executedAt":%d,"executedRiskLevel":"MEDIUM","labels":["SANCTIONS"],"nature":"SCREENING"}`, nowMs)
	if string(gotJSON) != wantJSON {
		t.Errorf("hit JSON\n got %s\nwant %s", gotJSON, wantJSON)
	}

	t.Run("nothing hits", func(t *testing.T) {
		u := profile(t, cleanConsumer, edit{"sourceOfFunds", `["Savings"]`}, edit{"userDetails.countryOfResidence", `"AT"`})
		out := s.Evaluate(Input{UserType: "CONSUMER", Stage: "UPDATE", User: u, Previous: u, Now: testNow})
		if out.Executed == nil || out.Hits == nil || out.Shadow == nil {
			t.Errorf("Executed, Hits and Shadow must be empty lists, not nil: %#v", out)
		}
		if len(out.Hits) != 0 || len(out.Shadow) != 2 || len(out.Triggers) != 0 || len(out.Executed) != 5 {
			t.Errorf("hits %v shadow %v triggers %v executed %v", hitIDs(out), shadowIDs(out), out.Triggers, executedIDs(out))
		}
		for _, r := range append(out.Executed, out.Shadow...) {
			if r.RuleHit || r.Vars != nil {
				t.Errorf("%s: hit %v vars %v", r.RuleInstanceID, r.RuleHit, r.Vars)
			}
		}
	})
	t.Run("inputs are not modified", func(t *testing.T) {
		before := jsonOf(u)
		s.Evaluate(in)
		if after := jsonOf(u); after != before {
			t.Errorf("Evaluate changed the user:\n%s\n%s", before, after)
		}
		if _, ok := u["sanctionsStatus"].(bool); !ok {
			t.Error("sanctionsStatus type changed")
		}
		limits := u["transactionLimits"].(map[string]any)["maximumDailyTransactionLimit"].(map[string]any)
		if _, ok := limits["amountValue"].(json.Number); !ok {
			t.Errorf("Evaluate converted the caller's json.Number: %T", limits["amountValue"])
		}
	})
	t.Run("an empty set", func(t *testing.T) {
		s := mustCompile(t)
		out := s.Evaluate(in)
		if len(out.Executed)+len(out.Hits)+len(out.Shadow)+len(out.Triggers)+len(out.Failures) != 0 || out.Executed == nil {
			t.Errorf("%#v", out)
		}
	})
}

// TestVarsReadByExpressions checks the reported variables: the longest member chains of user,
// previous, event and params the expression reads, with their values (json.Number as float64),
// and absent values as nil.
func TestVarsReadByExpressions(t *testing.T) {
	cases := []struct {
		expr string
		want map[string]any
	}{
		{`user.sanctionsStatus == false`, map[string]any{"user.sanctionsStatus": false}},
		{`user.userDetails.countryOfResidence == "DE" && user.userDetails.dateOfBirth != ""`,
			map[string]any{"user.userDetails.countryOfResidence": "DE", "user.userDetails.dateOfBirth": "1990-04-12"}},
		{`user.expectedIncome?.yearlyIncome?.amountValue > params.min`,
			map[string]any{"user.expectedIncome?.yearlyIncome?.amountValue": 65000.5, "params.min": 100.0}},
		{`event.reason == "x" || user.missing == nil`, map[string]any{"event.reason": "x", "user.missing": nil}},
		{`len(user.legalDocuments) == 1 && user.legalDocuments[0].documentIssuedCountry == "DE"`,
			map[string]any{"user.legalDocuments": []any{map[string]any{"documentType": "passport", "documentNumber": "C01X00T47",
				"documentIssuedDate": 1609459200000.0, "documentExpirationDate": 1924992000000.0, "documentIssuedCountry": "DE",
				"nameOnDocument": map[string]any{"firstName": "Anna", "lastName": "Schmidt"}}},
				"user.legalDocuments[0].documentIssuedCountry": "DE"}},
		{`previous?.userStateDetails?.state == "CREATED"`, map[string]any{"previous?.userStateDetails?.state": "CREATED"}},
		{`userType == "CONSUMER" && stage == "UPDATE" && now > 0 && changes("email", 1) == 0`, map[string]any{}},
		{`any(user.pepStatus, .isPepHit == false)`, map[string]any{"user.pepStatus": []any{map[string]any{"isPepHit": false}}}},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			r := rule("V", c.expr)
			r.Parameters = map[string]any{"min": 100.0}
			s := mustCompile(t, r)
			out := s.Evaluate(Input{UserType: "CONSUMER", Stage: "UPDATE", User: doc(t, cleanConsumer),
				Previous: profile(t, cleanConsumer, edit{"userStateDetails.state", `"CREATED"`}),
				Event:    doc(t, `{"reason": "x"}`), Now: testNow})
			if len(out.Failures) != 0 || len(out.Hits) != 1 {
				t.Fatalf("hits %v failures %v", hitIDs(out), out.Failures)
			}
			// Compared as JSON: vars carry the profile's own values (json.Number for numbers).
			if got, want := jsonOf(out.Executed[0].Vars), jsonOf([]Vars{{Value: c.want}}); got != want {
				t.Errorf("vars = %s, want %s", got, want)
			}
		})
	}
}

// TestFailures checks that a rule failing at run time is a miss reported in Failures, and that
// the rules around it still run.
func TestFailures(t *testing.T) {
	failing := []struct{ name, expr string }{
		{"member of a string", `user.a.b > 1`},
		{"calling nil", `user.f()`},
		{"calling a string", `user.a()`},
		{"comparing a string with a number", `user.a > 1`},
		{"non-boolean result", `user.a`},
		{"any over a number", `any(user.n, # == "x")`},
		{"member of a number", `user.m.x.y == 1`},
		{"integer division by zero (a Go panic in the VM)", `int(user.n) % int(params.zero) == 0`},
		{"wrong argument type", `changes("email", params.days) > 0`},
		{"bad index", `user.list[5] == 1`},
		{"int of a string", `int(user.a) > 1`},
	}
	for _, c := range failing {
		t.Run(c.name, func(t *testing.T) {
			r := rule("BAD", c.expr)
			r.Parameters = map[string]any{"days": "thirty", "zero": 0.0}
			r.TriggersOnHit = &Triggers{Tags: []Tag{{Key: "bad"}}}
			before, after := rule("BEFORE", `user.ok == true`), rule("AFTER", `user.ok == true`)
			s, err := Compile([]Rule{before, r, after}, nil)
			if err != nil {
				t.Fatalf("the rule must compile, its failure is at run time: %v", err)
			}
			out := s.Evaluate(Input{UserType: "CONSUMER", Stage: "INITIAL", Now: testNow,
				User: doc(t, `{"a": "text", "ok": true, "list": [1], "n": 7, "m": {"x": 1}}`)})
			if got := executedIDs(out); !reflect.DeepEqual(got, []string{"BEFORE", "BAD", "AFTER"}) {
				t.Errorf("executed = %v", got)
			}
			if got := hitIDs(out); !reflect.DeepEqual(got, []string{"BEFORE", "AFTER"}) {
				t.Errorf("hits = %v", got)
			}
			if len(out.Failures) != 1 || out.Failures[0].RuleInstanceID != "BAD" || out.Failures[0].Err == nil {
				t.Fatalf("failures = %v", out.Failures)
			}
			if bad := out.Executed[1]; bad.RuleHit || bad.Vars != nil {
				t.Errorf("failed rule: hit %v vars %v", bad.RuleHit, bad.Vars)
			}
			if len(out.Triggers) != 0 {
				t.Errorf("triggers = %v", out.Triggers)
			}
		})
	}
	t.Run("failing shadow rule", func(t *testing.T) {
		r := rule("BAD", `user.a.b > 1`)
		r.Shadow = true
		s := mustCompile(t, r, rule("OK", `true`))
		out := s.Evaluate(Input{Now: testNow, User: doc(t, `{"a": "text"}`)})
		if !reflect.DeepEqual(failureIDs(out), []string{"BAD"}) || !reflect.DeepEqual(shadowIDs(out), []string{"BAD"}) ||
			!reflect.DeepEqual(hitIDs(out), []string{"OK"}) || out.Shadow[0].RuleHit {
			t.Errorf("failures %v shadow %v hits %v", failureIDs(out), shadowIDs(out), hitIDs(out))
		}
	})
	t.Run("a nil result is a miss, not a failure", func(t *testing.T) {
		s := mustCompile(t, rule("NIL", `user.missing`), rule("NILCHAIN", `user.missing?.flag`))
		out := s.Evaluate(Input{Now: testNow, User: map[string]any{}})
		if len(out.Failures) != 0 || len(out.Hits) != 0 || len(out.Executed) != 2 {
			t.Errorf("executed %v hits %v failures %v", executedIDs(out), hitIDs(out), out.Failures)
		}
	})
}

// TestConcurrentEvaluate runs one set from many goroutines (run with -race): every result equals
// the sequential one.
func TestConcurrentEvaluate(t *testing.T) {
	s := compileLibrary(t)
	inputs := make([]Input, len(libraryCases))
	want := make([]Output, len(libraryCases))
	for i, c := range libraryCases {
		inputs[i] = c.input(t)
		want[i] = s.Evaluate(inputs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(inputs))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range inputs {
				j := (i + g*7) % len(inputs)
				if got := s.Evaluate(inputs[j]); !reflect.DeepEqual(got, want[j]) {
					errs <- fmt.Sprintf("%s: %v", libraryCases[j].name, got.Failures)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for name := range errs {
		t.Errorf("concurrent evaluation of %q differs", name)
	}
}
