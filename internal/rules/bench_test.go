package rules

import (
	"fmt"
	"strings"
	"testing"
)

// benchInput is a realistic consumer update: the clean consumer changed its email today, with a
// history of changes and a KYC failure in the aggregates.
func benchInput(b *testing.B) Input {
	b.Helper()
	prev, cur, agg := replay(b, cleanConsumer,
		step{nowMs - 200*dayMs, []edit{{"kycStatusDetails.status", `"FAILED"`}}},
		step{nowMs - 199*dayMs, []edit{{"kycStatusDetails.status", `"SUCCESSFUL"`}}},
		step{nowMs - 40*dayMs, []edit{{"contactDetails.addresses", `[{"addressLines": ["Nebenweg 2"], "postcode": "20095", "city": "Hamburg", "country": "DE"}]`}}},
		step{nowMs - 10*dayMs, []edit{{"contactDetails.contactNumbers", `["+4917000000001"]`}}},
		step{nowMs, []edit{{"contactDetails.emailIds", `["anna@mail.example"]`}, {"sourceOfFunds", `["Salary", "Savings"]`}}},
	)
	return Input{UserType: "CONSUMER", Stage: "UPDATE", User: cur, Previous: prev, Now: testNow, RiskLevel: "MEDIUM", Aggregates: agg}
}

// tenantRules generates n tenant rules of the shapes tenants write: field comparisons, in lists,
// any() over arrays, changes() windows and risk-level parameters.
func tenantRules(n int) []Rule {
	countries := []any{"AF", "AL", "BB", "BF", "BY", "CU", "GH", "JM", "JO", "ML", "MZ", "NG", "PA", "PH", "SN", "TZ", "TR", "UG", "AE", "ZA"}
	var out []Rule
	for i := 0; i < n; i++ {
		r := Rule{ID: fmt.Sprintf("RC-%d", i), InstanceID: fmt.Sprintf("RC-%d.1", i), Name: fmt.Sprintf("Tenant rule %d", i),
			Description: "Generated tenant rule", Action: "FLAG", Nature: "AML", Labels: []string{"EDD_TRIGGER"}}
		switch i % 5 {
		case 0:
			r.Expression = `user.transactionLimits?.maximumDailyTransactionLimit?.amountValue > params.limit && user.userSegment == "RETAIL" && user.employmentStatus != "EMPLOYED"`
			r.Parameters = map[string]any{"limit": float64(1000 + 100*i)}
		case 1:
			r.Expression = `user.userDetails?.countryOfResidence in params.countries || user.userDetails?.countryOfNationality in params.countries || user.userDetails?.placeOfBirth?.country in params.countries`
			r.Parameters = map[string]any{"countries": countries}
			r.UserTypes = []string{"CONSUMER"}
		case 2:
			r.Expression = `any(user.legalDocuments ?? [], .documentType == "passport" && .documentIssuedCountry in params.countries) || any(user.contactDetails?.addresses ?? [], .country in params.countries)`
			r.Parameters = map[string]any{"countries": countries}
		case 3:
			r.Expression = `changes("email", params.days) + changes("phone", params.days) >= params.n && previous?.contactDetails?.emailIds != user.contactDetails?.emailIds`
			r.Parameters = map[string]any{"days": float64(7 + i), "n": 2.0}
			r.Stages = []string{"UPDATE"}
			r.Labels = []string{"ACCOUNT_TAKEOVER"}
			r.Nature = "FRAUD"
		case 4:
			r.Expression = `ageYears(user.userDetails?.dateOfBirth) < params.minAge || user.expectedIncome?.yearlyIncome?.amountValue > params.income`
			r.Parameters = map[string]any{"minAge": 21.0, "income": 200000.0}
			r.RiskLevelParameters = map[string]map[string]any{
				"MEDIUM":    {"minAge": 23.0, "income": 100000.0},
				"HIGH":      {"minAge": 25.0, "income": 60000.0},
				"VERY_HIGH": {"minAge": 30.0, "income": 40000.0},
			}
			r.RiskLevelActions = map[string]string{"HIGH": "SUSPEND", "VERY_HIGH": "BLOCK"}
		}
		out = append(out, r)
	}
	return out
}

func benchmarkEvaluate(b *testing.B, rs []Rule, wantExecuted int) {
	s, err := Compile(rs, defaultLists)
	if err != nil {
		b.Fatal(err)
	}
	in := benchInput(b)
	out := s.Evaluate(in)
	if len(out.Failures) != 0 || len(out.Executed) != wantExecuted {
		b.Fatalf("executed %d (want %d), failures %v", len(out.Executed), wantExecuted, out.Failures)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Evaluate(in)
	}
}

func BenchmarkEvaluateLibrary(b *testing.B) {
	benchmarkEvaluate(b, Library(), 14)
}

func BenchmarkEvaluateLibraryPlus50(b *testing.B) {
	benchmarkEvaluate(b, append(Library(), tenantRules(50)...), 64)
}

// TestTenantRulesOfTheBenchmark keeps the benchmark honest: the generated rules compile, run
// without failures and some of them hit (so hits and vars are part of the measured work).
func TestTenantRulesOfTheBenchmark(t *testing.T) {
	s := mustCompile(t, append(Library(), tenantRules(50)...)...)
	prev, cur, agg := replay(t, cleanConsumer,
		step{nowMs - 10*dayMs, []edit{{"contactDetails.contactNumbers", `["+4917000000001"]`}}},
		step{nowMs, []edit{{"contactDetails.emailIds", `["anna@mail.example"]`}}},
	)
	out := s.Evaluate(Input{UserType: "CONSUMER", Stage: "UPDATE", User: cur, Previous: prev, Now: testNow, RiskLevel: "HIGH", Aggregates: agg})
	if len(out.Failures) != 0 || len(out.Executed) != 64 {
		t.Fatalf("executed %d, failures %v", len(out.Executed), out.Failures)
	}
	// At HIGH, the risk-level rules (income 65000.5 > 60000) hit with action SUSPEND; the changes()
	// rules see two changes when their window is at least 10 days (RC-3: exactly 10, the edge counts).
	var got []string
	for _, h := range out.Hits {
		got = append(got, h.RuleInstanceID+"/"+h.RuleAction)
	}
	want := "RC-3.1/FLAG RC-4.1/SUSPEND RC-8.1/FLAG RC-9.1/SUSPEND RC-13.1/FLAG RC-14.1/SUSPEND RC-18.1/FLAG RC-19.1/SUSPEND RC-23.1/FLAG " +
		"RC-24.1/SUSPEND RC-28.1/FLAG RC-29.1/SUSPEND RC-33.1/FLAG RC-34.1/SUSPEND RC-38.1/FLAG RC-39.1/SUSPEND RC-43.1/FLAG " +
		"RC-44.1/SUSPEND RC-48.1/FLAG RC-49.1/SUSPEND"
	if strings.Join(got, " ") != want {
		t.Errorf("hits\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

// BenchmarkAggregatesJSON encodes the rule state of a user whose state and KYC status changed
// often within the window: full change lists, as every write of such a user stores them.
func BenchmarkAggregatesJSON(b *testing.B) {
	a := Aggregates{Changes: map[string][]int64{}, StateChangedAt: nowMs}
	for i := range maxChanges {
		at := nowMs - int64(maxChanges-i)*dayMs/4
		a.Changes["state"] = append(a.Changes["state"], at)
		a.Changes["kycStatus"] = append(a.Changes["kycStatus"], at)
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = a.AppendJSON(buf[:0])
	}
}
