package risk

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func profile(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("profile %s: %v", s, err)
	}
	return m
}

func factorScore(t *testing.T, m *Model, business bool, id string, p map[string]any) evaluation {
	t.Helper()
	fs := m.compiledConsumer
	if business {
		fs = m.compiledBusiness
	}
	for i := range fs {
		if fs[i].ID == id {
			return m.evaluate(&fs[i], p, now)
		}
	}
	t.Fatalf("no factor %s", id)
	return evaluation{}
}

func TestDefaultModelFactors(t *testing.T) {
	m := Default()
	tests := []struct {
		business bool
		factor   string
		profile  string
		want     float64
	}{
		{false, "residence-country", `{"userDetails":{"countryOfResidence":"DE"}}`, 20},
		{false, "residence-country", `{"userDetails":{"countryOfResidence":"IR"}}`, 100},
		{false, "residence-country", `{"userDetails":{"countryOfResidence":"KE"}}`, 70},
		{false, "residence-country", `{"userDetails":{"countryOfResidence":"RU"}}`, 70},
		{false, "residence-country", `{}`, 50},
		{false, "nationality", `{"userDetails":{"countryOfNationality":"DE","secondaryCountryOfNationality":["KP"]}}`, 100},
		{false, "pep", `{"pepStatus":[{"isPepHit":true,"pepRank":"LEVEL_1"}]}`, 90},
		{false, "pep", `{"pepStatus":[{"isPepHit":false},{"isPepHit":true,"pepRank":"LEVEL_3"}]}`, 50},
		{false, "pep", `{"pepStatus":[{"isPepHit":true}]}`, 70},
		{false, "pep", `{"pepStatus":[{"isPepHit":false}]}`, 10},
		{false, "pep", `{}`, 20},
		{false, "sanctions", `{"sanctionsStatus":true}`, 100},
		{false, "sanctions", `{"sanctionsStatus":false}`, 0},
		{false, "sanctions", `{}`, 20},
		{false, "adverse-media", `{"adverseMediaStatus":true}`, 80},
		{false, "kyc-status", `{"kycStatusDetails":{"status":"FAILED"}}`, 90},
		{false, "kyc-status", `{"kycStatusDetails":{"status":"SUCCESSFUL"}}`, 10},
		{false, "kyc-status", `{"kycStatusDetails":{}}`, 60},
		{false, "user-state", `{"userStateDetails":{"state":"BLOCKED"}}`, 90},
		{false, "age", `{"userDetails":{"dateOfBirth":"2010-01-01"}}`, 90},
		{false, "age", `{"userDetails":{"dateOfBirth":"2005-11-27"}}`, 60}, // 20, birthday tomorrow
		{false, "age", `{"userDetails":{"dateOfBirth":"1990-05-01"}}`, 20},
		{false, "age", `{"userDetails":{"dateOfBirth":"1940-05-01"}}`, 50},
		{false, "age", `{"userDetails":{"dateOfBirth":"not a date"}}`, 70},
		{false, "age", `{}`, 70},
		{false, "employment-status", `{"employmentStatus":"UNEMPLOYED"}`, 60},
		{false, "source-of-funds", `{"sourceOfFunds":["Salary","Gambling"]}`, 80},
		{false, "source-of-funds", `{"sourceOfFunds":["Salary"]}`, 20},
		{false, "source-of-funds", `{"sourceOfFunds":[]}`, 50},
		{false, "user-segment", `{"userSegment":"PROFESSIONAL"}`, 40},
		{false, "acquisition-channel", `{"acquisitionChannel":"UNKNOWN"}`, 70},
		{false, "expired-documents", `{"legalDocuments":[{"documentExpirationDate":1600000000000},{"documentExpirationDate":1900000000000}]}`, 80},
		{false, "expired-documents", `{"legalDocuments":[{"documentExpirationDate":1900000000000}]}`, 10},
		{false, "expired-documents", `{"legalDocuments":[{"documentType":"passport"}]}`, 40},
		{true, "registration-country", `{"legalEntity":{"companyRegistrationDetails":{"registrationCountry":"MM"}}}`, 100},
		{true, "operating-countries", `{"legalEntity":{"companyGeneralDetails":{"operatingCountries":["DE","SY"]}}}`, 70},
		{true, "industry", `{"legalEntity":{"companyGeneralDetails":{"businessIndustry":["software","GAMBLING"]}}}`, 90},
		{true, "industry", `{"legalEntity":{"companyGeneralDetails":{"businessIndustry":["Bakery"]}}}`, 30},
		{true, "legal-entity-type", `{"legalEntity":{"companyRegistrationDetails":{"legalEntityType":"trust"}}}`, 70},
		{true, "related-parties", `{"directors":[{"generalDetails":{"countryOfNationality":"DE"},"pepStatus":[{"isPepHit":true}]}]}`, 70},
		{true, "related-parties", `{"shareHolders":[{"companyGeneralDetails":{"legalName":"X"},"companyRegistrationDetails":{"registrationCountry":"IR"}}]}`, 100},
		{true, "related-parties", `{"directors":[{"generalDetails":{"countryOfNationality":"DE"},"sanctionsStatus":true}]}`, 100},
		{true, "related-parties", `{"directors":[{"generalDetails":{"countryOfNationality":"DE"}}]}`, 10},
		{true, "related-parties", `{}`, 50},
		{true, "company-age", `{"legalEntity":{"companyRegistrationDetails":{"dateOfRegistration":"2026-01-01"}}}`, 70},
		{true, "company-age", `{"legalEntity":{"companyRegistrationDetails":{"dateOfRegistration":"2001-01-01"}}}`, 15},
		{true, "business-segment", `{"legalEntity":{"companyGeneralDetails":{"userSegment":"UNKNOWN"}}}`, 60},
	}
	for _, tt := range tests {
		t.Run(tt.factor+" "+tt.profile, func(t *testing.T) {
			if got := factorScore(t, m, tt.business, tt.factor, profile(t, tt.profile)).score; got != tt.want {
				t.Fatalf("score = %v, want %v", got, tt.want)
			}
		})
	}
}

const cleanConsumer = `{"userDetails":{"countryOfResidence":"DE","countryOfNationality":"DE","dateOfBirth":"1990-01-01"},
	"pepStatus":[{"isPepHit":false}],"sanctionsStatus":false,"adverseMediaStatus":false,"kycStatusDetails":{"status":"SUCCESSFUL"},
	"userStateDetails":{"state":"ACTIVE"},"employmentStatus":"EMPLOYED","sourceOfFunds":["Salary"],"userSegment":"RETAIL",
	"acquisitionChannel":"OFFLINE","legalDocuments":[{"documentExpirationDate":1900000000000}]}`

func TestBandsAndMiddles(t *testing.T) {
	m := Default()
	for _, tt := range []struct {
		score float64
		level string
	}{{0, "VERY_LOW"}, {19.99, "VERY_LOW"}, {20, "LOW"}, {39.99, "LOW"}, {40, "MEDIUM"}, {60, "HIGH"}, {79.99, "HIGH"}, {80, "VERY_HIGH"}, {100, "VERY_HIGH"}} {
		if got := m.Level(tt.score); got != tt.level {
			t.Errorf("Level(%v) = %s, want %s", tt.score, got, tt.level)
		}
	}
	for i, want := range []float64{10, 30, 50, 70, 90} {
		if got := m.Middle(Levels[i]); got != want {
			t.Errorf("Middle(%s) = %v, want %v", Levels[i], got, want)
		}
	}
}

func TestCombinationAndFloors(t *testing.T) {
	m := Default()
	clean := m.Assess(Input{Profile: profile(t, cleanConsumer), Now: now})
	if clean.KYC.Level != "VERY_LOW" || clean.CRA != clean.KYC || len(clean.Floors) != 0 {
		t.Fatalf("clean domestic user: %+v, want VERY_LOW and CRA = KRS", clean)
	}
	var sum, weights float64
	for _, f := range clean.Factors {
		sum += f.Score * f.Weight
		weights += f.Weight
	}
	if got := round2(sum / weights); got != clean.KYC.Score {
		t.Fatalf("KRS = %v, want the weighted mean %v", clean.KYC.Score, got)
	}
	var contributions float64
	for _, f := range clean.Factors {
		contributions += f.Contribution
	}
	if d := contributions - clean.KYC.Score; d > 0.1 || d < -0.1 {
		t.Fatalf("contributions add up to %v, KRS is %v", contributions, clean.KYC.Score)
	}
	tests := []struct {
		name, change string
		atLeast      string
	}{
		{"sanctioned", `"sanctionsStatus":true`, "HIGH"},
		{"FATF black-list residence", `"userDetails":{"countryOfResidence":"KP"}`, "HIGH"},
		{"PEP", `"pepStatus":[{"isPepHit":true,"pepRank":"LEVEL_3"}]`, "MEDIUM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := profile(t, cleanConsumer)
			for k, v := range profile(t, "{"+tt.change+"}") {
				p[k] = v
			}
			st := m.Assess(Input{Profile: p, Now: now})
			if levelIndex(st.KYC.Level) < levelIndex(tt.atLeast) || len(st.Floors) == 0 {
				t.Fatalf("KRS %v %s, floors %v; want %s at least", st.KYC.Score, st.KYC.Level, st.Floors, tt.atLeast)
			}
		})
	}
	worst := m.Assess(Input{Profile: profile(t, `{"sanctionsStatus":true,"pepStatus":[{"isPepHit":true,"pepRank":"LEVEL_1"}],"userDetails":{"countryOfNationality":"IR","countryOfResidence":"IR"}}`), Now: now})
	if worst.KYC.Score <= clean.KYC.Score || levelIndex(worst.KYC.Level) < levelIndex("HIGH") {
		t.Fatalf("sanctioned PEP from Iran: %v %s; clean: %v", worst.KYC.Score, worst.KYC.Level, clean.KYC.Score)
	}
}

func ptr(b bool) *bool { return &b }

func TestOverridesAndLocks(t *testing.T) {
	m := Default()
	clean := profile(t, cleanConsumer)
	risky := profile(t, `{"sanctionsStatus":true}`)
	step := func(prev State, p map[string]any, kycOverride, craOverride string, lockKYC, lockCRA *bool) State {
		return m.Assess(Input{Profile: p, Now: now, Previous: prev, KYCOverride: kycOverride, CRAOverride: craOverride, LockKYC: lockKYC, LockCRA: lockCRA})
	}
	s := step(State{}, clean, "HIGH", "", nil, nil)
	if s.KYC.Score != 70 || s.KYC.Level != "HIGH" || s.KYC.Source != "OVERRIDE" || s.KYC.Locked {
		t.Fatalf("override without lock: %+v", s.KYC)
	}
	if s.CRA.Score != 70 || s.CRA.Level != "HIGH" {
		t.Fatalf("CRA without hits must equal the reported KRS: %+v", s.CRA)
	}
	if s.ComputedKYC.Level != "VERY_LOW" || s.ComputedCRA != s.ComputedKYC {
		t.Fatalf("the computed scores are the model's alone: %+v %+v", s.ComputedKYC, s.ComputedCRA)
	}
	s = step(s, clean, "", "", nil, nil)
	if s.KYC.Source != "COMPUTED" || s.KYC.Level != "VERY_LOW" {
		t.Fatalf("an unlocked override lasts one write only: %+v", s.KYC)
	}
	s = step(s, clean, "LOW", "VERY_HIGH", ptr(true), ptr(true))
	if s.KYC.Score != 30 || !s.KYC.Locked || s.CRA.Score != 90 || !s.CRA.Locked {
		t.Fatalf("override and lock together: %+v %+v", s.KYC, s.CRA)
	}
	s = step(s, risky, "", "", nil, nil)
	if s.KYC.Score != 30 || s.CRA.Score != 90 || s.ComputedKYC.Level == "LOW" {
		t.Fatalf("locked values must not move while the computed ones do: %+v %+v computed %+v", s.KYC, s.CRA, s.ComputedKYC)
	}
	s = step(s, risky, "MEDIUM", "", nil, nil)
	if s.KYC.Score != 30 {
		t.Fatalf("an override without the lock flag must not move a locked score: %+v", s.KYC)
	}
	s = step(s, risky, "", "", ptr(true), nil)
	if s.KYC.Score != 30 || !s.KYC.Locked {
		t.Fatalf("the lock flag alone on a locked score must keep it: %+v", s.KYC)
	}
	s = step(s, risky, "HIGH", "", ptr(true), nil)
	if s.KYC.Score != 70 || !s.KYC.Locked || s.KYC.Source != "OVERRIDE" {
		t.Fatalf("a new level with the lock flag replaces the locked one: %+v", s.KYC)
	}
	s = step(s, risky, "LOW", "", ptr(true), nil)
	if s.KYC.Score != 30 {
		t.Fatalf("relocking at another level: %+v", s.KYC)
	}
	s = step(s, risky, "", "", ptr(false), nil)
	if s.KYC.Locked || s.KYC.Source != "COMPUTED" || s.KYC.Level != s.ComputedKYC.Level || !s.CRA.Locked {
		t.Fatalf("releasing the KYC lock recomputes it and leaves the CRA lock: %+v %+v", s.KYC, s.CRA)
	}
	s = step(State{}, risky, "", "", ptr(true), nil)
	if !s.KYC.Locked || s.KYC.Source != "COMPUTED" {
		t.Fatalf("a lock without an override freezes the computed value: %+v", s.KYC)
	}
}

func TestActivityDecay(t *testing.T) {
	m := Default()
	p := profile(t, cleanConsumer)
	s := m.Assess(Input{Profile: p, Now: now, Hits: []string{"BLOCK"}})
	if s.Activity != 50 {
		t.Fatalf("activity after a BLOCK = %v, want 50", s.Activity)
	}
	want := round2(s.KYC.Score + (100-s.KYC.Score)*0.5)
	if s.CRA.Score != want {
		t.Fatalf("CRA = %v, want %v", s.CRA.Score, want)
	}
	later := m.Assess(Input{Profile: p, Now: now.Add(90 * 24 * time.Hour), Previous: s})
	if later.Activity != 25 {
		t.Fatalf("activity one half-life later = %v, want 25", later.Activity)
	}
	for _, tt := range []struct {
		hits []string
		want float64
	}{{nil, 0}, {[]string{"ALLOW"}, 0}, {[]string{"FLAG"}, 10}, {[]string{"SUSPEND"}, 25}, {[]string{"BLOCK", "BLOCK", "BLOCK"}, 100}} {
		if got := m.Assess(Input{Profile: p, Now: now, Hits: tt.hits}).Activity; got != tt.want {
			t.Errorf("activity for %v = %v, want %v", tt.hits, got, tt.want)
		}
	}
	same1 := m.Assess(Input{Profile: p, Now: now.Add(time.Hour), Previous: s})
	same2 := m.Assess(Input{Profile: p, Now: now.Add(time.Hour), Previous: s})
	if fmt.Sprint(same1) != fmt.Sprint(same2) {
		t.Fatal("scores differ for the same history and clock")
	}
}

// riskier returns a copy of p with one attribute made riskier (or equal), so its KRS must not be
// lower.
var riskier = []func(p map[string]any){
	func(p map[string]any) { p["sanctionsStatus"] = true },
	func(p map[string]any) { p["adverseMediaStatus"] = true },
	func(p map[string]any) { p["pepStatus"] = []any{map[string]any{"isPepHit": true, "pepRank": "LEVEL_1"}} },
	func(p map[string]any) { details(p)["countryOfResidence"] = "KP" },
	func(p map[string]any) { details(p)["countryOfNationality"] = "IR" },
	func(p map[string]any) { p["kycStatusDetails"] = map[string]any{"status": "FAILED"} },
	func(p map[string]any) { p["userStateDetails"] = map[string]any{"state": "UNACCEPTABLE"} },
	func(p map[string]any) { p["sourceOfFunds"] = []any{"Gambling"} },
	func(p map[string]any) { p["acquisitionChannel"] = "UNKNOWN" },
}

func details(p map[string]any) map[string]any {
	d, ok := p["userDetails"].(map[string]any)
	if !ok {
		d = map[string]any{}
		p["userDetails"] = d
	}
	return d
}

var pool = struct {
	countries, kyc, states, funds []string
}{
	[]string{"DE", "FR", "US", "KE", "RU", "VN", "IR", "KP", "BR"},
	[]string{"SUCCESSFUL", "NEW", "IN_PROGRESS", "MANUAL_REVIEW", "FAILED", "EXPIRED"},
	[]string{"ACTIVE", "CREATED", "DORMANT", "SUSPENDED", "BLOCKED"},
	[]string{"Salary", "Savings", "Gift", "Crypto", "Gambling"},
}

func randomProfile(r *rand.Rand) map[string]any {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	p := map[string]any{}
	if r.IntN(4) > 0 {
		p["userDetails"] = map[string]any{"countryOfResidence": pick(pool.countries), "countryOfNationality": pick(pool.countries)}
	}
	if r.IntN(3) > 0 {
		p["kycStatusDetails"] = map[string]any{"status": pick(pool.kyc)}
	}
	if r.IntN(3) > 0 {
		p["userStateDetails"] = map[string]any{"state": pick(pool.states)}
	}
	if r.IntN(2) > 0 {
		p["sourceOfFunds"] = []any{pick(pool.funds)}
	}
	if r.IntN(2) > 0 {
		p["sanctionsStatus"] = r.IntN(5) == 0
	}
	return p
}

// TestRiskierNeverScoresLower is a property test: making any one attribute as risky as it can
// be never lowers the KRS.
func TestRiskierNeverScoresLower(t *testing.T) {
	m := Default()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		base := randomProfile(r)
		before := m.Assess(Input{Profile: base, Now: now}).KYC.Score
		change := r.IntN(len(riskier))
		worse := randomCopy(base)
		riskier[change](worse)
		if after := m.Assess(Input{Profile: worse, Now: now}).KYC.Score; after < before {
			t.Fatalf("case %d: change %d lowered the KRS from %v to %v for %v", i, change, before, after, base)
		}
	}
}

func randomCopy(p map[string]any) map[string]any {
	b, _ := json.Marshal(p)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

func TestParseRejectsBadModels(t *testing.T) {
	good := string(DefaultDocument())
	tests := []struct {
		name, edit, want string
	}{
		{"unknown field", strings.Replace(good, "name: vigil-default", "name: vigil-default\nnmae: typo", 1), "unknown field"},
		{"bad weight", strings.Replace(good, "weight: 3", "weight: 0", 1), "weight: must be above 0"},
		{"bad score", strings.Replace(good, "default: 20", "default: 120", 1), "default: 120 is not from 0 to 100"},
		{"bad type", strings.Replace(good, "type: country", "type: planet", 1), `type: "planet" is not one of`},
		{"unknown list", strings.Replace(good, "fatfIncreasedMonitoring: 70, euHighRisk: 70}", "greyList: 70}", 1), "no country list has this name"},
		{"bad band order", strings.Replace(good, "{level: LOW, min: 20}", "{level: LOW, min: 50}", 1), "bands[2].min: must be above"},
		{"bad country", strings.Replace(good, "[KP, IR, MM]", "[KP, Iran, MM]", 1), `"Iran" is not an ISO`},
		{"bad floor level", strings.Replace(good, "level: HIGH}]", "level: SEVERE}]", 1), `"SEVERE" is not one of`},
		{"not YAML", "{{{", "not valid JSON or YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.edit))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	m, err := Parse(Default().JSON())
	if err != nil {
		t.Fatalf("the default model as JSON does not parse: %v", err)
	}
	if m.Name != "vigil-default" || len(m.ConsumerFactors) != len(Default().ConsumerFactors) {
		t.Fatal("JSON round trip lost data")
	}
}

func BenchmarkAssessConsumer(b *testing.B) {
	m := Default()
	p := profile(b, cleanConsumer)
	prev := m.Assess(Input{Profile: p, Now: now, Hits: []string{"FLAG"}})
	b.ReportAllocs()
	for b.Loop() {
		m.Assess(Input{Profile: p, Now: now, Previous: prev, Hits: []string{"FLAG"}})
	}
}

func BenchmarkAssessBusiness(b *testing.B) {
	m := Default()
	p := profile(b, `{"legalEntity":{"companyGeneralDetails":{"legalName":"A","businessIndustry":["Software"],"operatingCountries":["DE","FR"]},
		"companyRegistrationDetails":{"registrationCountry":"DE","legalEntityType":"GmbH","dateOfRegistration":"2010-01-01"}},
		"directors":[{"generalDetails":{"countryOfNationality":"DE"}},{"generalDetails":{"countryOfNationality":"FR"}}],"sanctionsStatus":false}`)
	b.ReportAllocs()
	for b.Loop() {
		m.Assess(Input{Business: true, Profile: p, Now: now})
	}
}
