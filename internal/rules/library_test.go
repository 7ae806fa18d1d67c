package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// step is one write of a user's history: edits applied to the profile before it, at a time.
type step struct {
	at    int64
	edits []edit
}

const createdMs = int64(1700000000000) // the clean profiles' createdTimestamp

// replay creates base at createdMs and applies steps in order, each as an update, as the server
// does: the aggregates are updated from the profile before and after every write. It returns the
// profile before the last write, after it, and the aggregates after it.
func replay(t testing.TB, base string, steps ...step) (previous, current map[string]any, agg Aggregates) {
	t.Helper()
	current = profile(t, base)
	agg = Aggregates{}.Update(nil, current, createdMs)
	var edits []edit
	for _, s := range steps {
		edits = append(edits, s.edits...)
		next := profile(t, base, edits...)
		agg = agg.Update(current, next, s.at)
		previous, current = current, next
	}
	return previous, current, agg
}

type libraryCase struct {
	name     string
	userType string
	stage    string
	// user are edits of the clean profile of the user type. At UPDATE the previous profile is the
	// clean one with prev edits, unless steps give the whole history.
	user  []edit
	prev  []edit
	steps []step
	// screening is what Vigil's screening found (Input.Screening).
	screening map[string]any
	want      []string
}

func (c libraryCase) input(t *testing.T) Input {
	t.Helper()
	base := cleanConsumer
	if c.userType == "BUSINESS" {
		base = cleanBusiness
	}
	in := Input{UserType: c.userType, Stage: c.stage, Now: testNow, RiskLevel: "LOW", Screening: c.screening}
	switch {
	case c.stage == "INITIAL":
		in.User = profile(t, base, c.user...)
		in.Aggregates = Aggregates{}.Update(nil, in.User, nowMs)
	case c.steps != nil:
		in.Previous, in.User, in.Aggregates = replay(t, base, c.steps...)
	default:
		in.Previous = profile(t, base, c.prev...)
		in.User = profile(t, base, c.user...)
		in.Aggregates = Aggregates{}.Update(nil, in.Previous, createdMs).Update(in.Previous, in.User, nowMs)
	}
	return in
}

var libraryCases = []libraryCase{
	// R-U1 sanctioned user.
	{name: "U1 sanctioned consumer", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"sanctionsStatus", `true`}}, want: []string{"R-U1.1"}},
	{name: "U1 sanctioned business on update", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"sanctionsStatus", `true`}}, want: []string{"R-U1.1"}},
	{name: "U1 sanctions status absent", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"sanctionsStatus", "-"}}},
	{name: "U1 sanctions status is the string true", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"sanctionsStatus", `"true"`}}},

	// R-U2 PEP.
	{name: "U2 consumer with a PEP hit among others", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"pepStatus", `[{"isPepHit": false}, {"isPepHit": true, "pepRank": "LEVEL_1", "pepCountry": "DE"}]`}},
		want: []string{"R-U2.1"}},
	{name: "U2 business legal entity PEP hit", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"legalEntity.pepStatus", `[{"isPepHit": true}]`}}, want: []string{"R-U2.1"}},
	{name: "U2 consumer without pepStatus", userType: "CONSUMER", stage: "UPDATE",
		user: []edit{{"pepStatus", "-"}}},
	{name: "U2 consumer with empty pepStatus", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"pepStatus", `[]`}}},
	{name: "U2 business PEP entries without a hit", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"legalEntity.pepStatus", `[{"isPepHit": false, "pepRank": "LEVEL_2"}]`}}},

	// R-U3 adverse media.
	{name: "U3 consumer in adverse media", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"adverseMediaStatus", `true`}}, want: []string{"R-U3.1"}},
	{name: "U3 business in adverse media", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"adverseMediaStatus", `true`}}, want: []string{"R-U3.1"}},
	{name: "U3 adverse media absent", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"adverseMediaStatus", "-"}}},

	// R-U4 KYC failed or expired (state CREATED keeps R-U10 out).
	{name: "U4 consumer KYC failed", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userStateDetails.state", `"CREATED"`}, {"kycStatusDetails.status", `"FAILED"`}},
		want: []string{"R-U4.1"}},
	{name: "U4 business KYC expired", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"userStateDetails.state", `"CREATED"`}, {"kycStatusDetails.status", `"EXPIRED"`}},
		prev: []edit{{"userStateDetails.state", `"CREATED"`}}, want: []string{"R-U4.1"}},
	{name: "U4 active consumer KYC failed also hits U10", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"kycStatusDetails.status", `"FAILED"`}}, want: []string{"R-U4.1", "R-U10.1"}},
	{name: "U4 KYC in progress", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userStateDetails.state", `"CREATED"`}, {"kycStatusDetails.status", `"IN_PROGRESS"`}}},
	{name: "U4 no KYC details", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"userStateDetails.state", `"CREATED"`}, {"kycStatusDetails", "-"}}},

	// R-U5 FATF countries (the EU list is not among its parameters).
	{name: "U5 residence on the call-for-action list", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userDetails.countryOfResidence", `"IR"`}}, want: []string{"R-U5.1"}},
	{name: "U5 nationality under increased monitoring", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userDetails.countryOfNationality", `"SY"`}}, want: []string{"R-U5.1"}},
	{name: "U5 business registered in KP", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"legalEntity.companyRegistrationDetails.registrationCountry", `"KP"`}}, want: []string{"R-U5.1"}},
	{name: "U5 residence change to MM on update also hits U13", userType: "CONSUMER", stage: "UPDATE",
		user: []edit{{"userDetails.countryOfResidence", `"MM"`}}, want: []string{"R-U5.1", "R-U13.1"}},
	{name: "U5 residence only on the EU list", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userDetails.countryOfResidence", `"RU"`}, {"userDetails.countryOfNationality", `"AF"`}}},
	{name: "U5 business registered in FR", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"legalEntity.companyRegistrationDetails.registrationCountry", `"FR"`}}},
	{name: "U5 business without registration details", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"legalEntity.companyRegistrationDetails", "-"}}},

	// R-U6 state moved to BLOCKED, SUSPENDED or TERMINATED (UPDATE only).
	{name: "U6 consumer blocked", userType: "CONSUMER", stage: "UPDATE",
		user: []edit{{"userStateDetails.state", `"BLOCKED"`}}, want: []string{"R-U6.1"}},
	{name: "U6 business terminated", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"userStateDetails.state", `"TERMINATED"`}}, want: []string{"R-U6.1"}},
	{name: "U6 consumer suspended on update without previous state", userType: "CONSUMER", stage: "UPDATE",
		prev: []edit{{"userStateDetails", "-"}}, user: []edit{{"userStateDetails.state", `"SUSPENDED"`}},
		want: []string{"R-U6.1"}},
	{name: "U6 already blocked", userType: "CONSUMER", stage: "UPDATE",
		prev: []edit{{"userStateDetails.state", `"BLOCKED"`}}, user: []edit{{"userStateDetails.state", `"BLOCKED"`}}},
	{name: "U6 moved to DORMANT", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"userStateDetails.state", `"DORMANT"`}}},
	{name: "U6 created blocked is not an update", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userStateDetails.state", `"BLOCKED"`}}},

	// R-U7 expired legal document.
	{name: "U7 document expired a millisecond ago", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"legalDocuments", fmt.Sprintf(`[{"documentType": "passport", "documentNumber": "X1", "documentExpirationDate": 1924992000000},
			{"documentType": "id-card", "documentNumber": "X2", "documentExpirationDate": %d}]`, nowMs-1)}},
		want: []string{"R-U7.1"}},
	{name: "U7 business document expired", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"legalDocuments", `[{"documentType": "registration", "documentNumber": "HRB", "documentExpirationDate": 1.6e12}]`}},
		want: []string{"R-U7.1"}},
	{name: "U7 document expiring now has not expired", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"legalDocuments", fmt.Sprintf(`[{"documentType": "passport", "documentNumber": "X1", "documentExpirationDate": %d}]`, nowMs)}}},
	{name: "U7 document without expiration date", userType: "CONSUMER", stage: "UPDATE",
		user: []edit{{"legalDocuments", `[{"documentType": "passport", "documentNumber": "X1"}]`}}, prev: []edit{{"legalDocuments", `[{"documentType": "passport", "documentNumber": "X1"}]`}}},

	// R-U8 contact details changed at least 3 times in 30 days (UPDATE only).
	{name: "U8 consumer email, phone and address changed", userType: "CONSUMER", stage: "UPDATE",
		steps: []step{
			{nowMs - 20*dayMs, []edit{{"contactDetails.emailIds", `["anna@mail.example"]`}}},
			{nowMs - 10*dayMs, []edit{{"contactDetails.contactNumbers", `["+4917000000001"]`}}},
			{nowMs, []edit{{"contactDetails.addresses", `[{"addressLines": ["Nebenweg 2"], "postcode": "20095", "city": "Hamburg", "country": "DE"}]`}}},
		},
		want: []string{"R-U8.1"}},
	{name: "U8 business contact details changed three times", userType: "BUSINESS", stage: "UPDATE",
		steps: []step{
			{nowMs - 3*dayMs, []edit{{"legalEntity.contactDetails.emailIds", `["a@muster.example"]`}}},
			{nowMs - 2*dayMs, []edit{{"legalEntity.contactDetails.emailIds", `["b@muster.example"]`}}},
			{nowMs, []edit{{"legalEntity.contactDetails.contactNumbers", `["+49309999999"]`}}},
		},
		want: []string{"R-U8.1"}},
	{name: "U8 only two changes", userType: "CONSUMER", stage: "UPDATE",
		steps: []step{
			{nowMs - 5*dayMs, []edit{{"contactDetails.emailIds", `["anna@mail.example"]`}}},
			{nowMs, []edit{{"contactDetails.contactNumbers", `["+4917000000001"]`}}},
		}},
	{name: "U8 third change older than the window", userType: "CONSUMER", stage: "UPDATE",
		steps: []step{
			{nowMs - 31*dayMs, []edit{{"contactDetails.emailIds", `["anna@mail.example"]`}}},
			{nowMs - 5*dayMs, []edit{{"contactDetails.emailIds", `["anna@other.example"]`}}},
			{nowMs, []edit{{"contactDetails.contactNumbers", `["+4917000000001"]`}}},
		}},

	// R-U15 Vigil's own screening matched a name.
	{name: "U15 sanctions match", userType: "CONSUMER", stage: "INITIAL",
		screening: map[string]any{"sanctions": true, "pep": false, "matches": 1.0}, want: []string{"R-U15.1"}},
	{name: "U15 PEP match of a director", userType: "BUSINESS", stage: "UPDATE",
		screening: map[string]any{"sanctions": false, "pep": true, "matches": 1.0}, want: []string{"R-U15.1"}},
	{name: "U15 nothing matched", userType: "BUSINESS", stage: "INITIAL",
		screening: map[string]any{"sanctions": false, "pep": false, "matches": 0.0}},
	{name: "U15 no screening at all", userType: "CONSUMER", stage: "INITIAL"},

	// R-U9 minor (consumers only).
	{name: "U9 sixteen-year-old", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userDetails.dateOfBirth", `"2010-01-01"`}}, want: []string{"R-U9.1"}},
	{name: "U9 eighteenth birthday tomorrow", userType: "CONSUMER", stage: "UPDATE",
		user: []edit{{"userDetails.dateOfBirth", `"2008-07-02"`}}, prev: []edit{{"userDetails.dateOfBirth", `"2008-07-02"`}},
		want: []string{"R-U9.1"}},
	{name: "U9 eighteenth birthday today", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userDetails.dateOfBirth", `"2008-07-01"`}}},
	{name: "U9 date of birth not a date", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userDetails.dateOfBirth", `"01/02/2015"`}}},
	{name: "U9 date of birth absent", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userDetails.dateOfBirth", "-"}}},
	{name: "U9 does not apply to businesses", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"userDetails.dateOfBirth", `"2015-01-01"`}}},

	// R-U10 active without successful KYC.
	{name: "U10 active consumer with KYC in progress", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"kycStatusDetails.status", `"IN_PROGRESS"`}}, want: []string{"R-U10.1"}},
	{name: "U10 active business without KYC details", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"kycStatusDetails", "-"}}, prev: []edit{{"kycStatusDetails", "-"}}, want: []string{"R-U10.1"}},
	{name: "U10 created consumer with KYC in progress", userType: "CONSUMER", stage: "UPDATE",
		user: []edit{{"userStateDetails.state", `"CREATED"`}, {"kycStatusDetails.status", `"IN_PROGRESS"`}},
		prev: []edit{{"userStateDetails.state", `"CREATED"`}, {"kycStatusDetails.status", `"IN_PROGRESS"`}}},

	// R-U11 at least 2 KYC failures in 90 days (state CREATED keeps R-U10 out).
	{name: "U11 two failures in the window", userType: "CONSUMER", stage: "UPDATE",
		steps: []step{
			{nowMs - 60*dayMs, []edit{{"userStateDetails.state", `"CREATED"`}, {"kycStatusDetails.status", `"FAILED"`}}},
			{nowMs - 50*dayMs, []edit{{"kycStatusDetails.status", `"IN_PROGRESS"`}}},
			{nowMs - 30*dayMs, []edit{{"kycStatusDetails.status", `"FAILED"`}}},
			{nowMs, []edit{{"kycStatusDetails.status", `"IN_PROGRESS"`}}},
		},
		want: []string{"R-U11.1"}},
	{name: "U11 business failing again now also hits U4", userType: "BUSINESS", stage: "UPDATE",
		steps: []step{
			{nowMs - 89*dayMs, []edit{{"userStateDetails.state", `"CREATED"`}, {"kycStatusDetails.status", `"FAILED"`}}},
			{nowMs - 88*dayMs, []edit{{"kycStatusDetails.status", `"MANUAL_REVIEW"`}}},
			{nowMs, []edit{{"kycStatusDetails.status", `"FAILED"`}}},
		},
		want: []string{"R-U4.1", "R-U11.1"}},
	{name: "U11 first failure out of the window", userType: "CONSUMER", stage: "UPDATE",
		steps: []step{
			{nowMs - 100*dayMs, []edit{{"userStateDetails.state", `"CREATED"`}, {"kycStatusDetails.status", `"FAILED"`}}},
			{nowMs - 50*dayMs, []edit{{"kycStatusDetails.status", `"IN_PROGRESS"`}}},
			{nowMs - 30*dayMs, []edit{{"kycStatusDetails.status", `"FAILED"`}}},
			{nowMs, []edit{{"kycStatusDetails.status", `"IN_PROGRESS"`}}},
		}},

	// R-U12 sanctioned or PEP related party (businesses only).
	{name: "U12 sanctioned director", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"directors", `[{"generalDetails": {"name": {"firstName": "Ivan"}}, "sanctionsStatus": true}]`}},
		want: []string{"R-U12.1"}},
	{name: "U12 PEP shareholder", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"shareHolders", `[{"generalDetails": {"name": {"firstName": "Eva"}}, "pepStatus": [{"isPepHit": false}, {"isPepHit": true, "pepRank": "LEVEL_2"}]}]`}},
		want: []string{"R-U12.1"}},
	{name: "U12 PEP associated party", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"associatedParties", `[{"generalDetails": {"name": {"firstName": "Max"}}, "role": "UBO", "pepStatus": [{"isPepHit": true}]}]`}},
		want: []string{"R-U12.1"}},
	{name: "U12 no related parties", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"directors", "-"}, {"shareHolders", "-"}}},
	{name: "U12 director with sanctionsStatus false and no PEP hit", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"directors", `[{"generalDetails": {"name": {"firstName": "Jonas"}}, "sanctionsStatus": false, "pepStatus": [{"isPepHit": false}]}]`}}},
	{name: "U12 does not apply to consumers", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"directors", `[{"sanctionsStatus": true}]`}}},

	// R-U13 residence or nationality changed in 365 days (UPDATE only).
	{name: "U13 consumer moved to AT", userType: "CONSUMER", stage: "UPDATE",
		user: []edit{{"userDetails.countryOfResidence", `"AT"`}}, want: []string{"R-U13.1"}},
	{name: "U13 consumer gained a second nationality", userType: "CONSUMER", stage: "UPDATE",
		user: []edit{{"userDetails.secondaryCountryOfNationality", `["FR"]`}}, want: []string{"R-U13.1"}},
	{name: "U13 business re-registered in AT", userType: "BUSINESS", stage: "UPDATE",
		user: []edit{{"legalEntity.companyRegistrationDetails.registrationCountry", `"AT"`}}, want: []string{"R-U13.1"}},
	{name: "U13 move more than a year ago", userType: "CONSUMER", stage: "UPDATE",
		steps: []step{
			{nowMs - 400*dayMs, []edit{{"userDetails.countryOfResidence", `"AT"`}}},
			{nowMs, []edit{{"occupation", `"Architect"`}}},
		}},
	{name: "U13 name change is not a residence change", userType: "CONSUMER", stage: "UPDATE",
		user: []edit{{"userDetails.name.lastName", `"Meyer"`}}},
	{name: "U13 created abroad is not a change", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"userDetails.countryOfResidence", `"AT"`}}},

	// R-U14 high-risk source of funds (consumers only).
	{name: "U14 crypto among sources", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"sourceOfFunds", `["Salary", "Crypto"]`}}, want: []string{"R-U14.1"}},
	{name: "U14 gambling on update", userType: "CONSUMER", stage: "UPDATE",
		user: []edit{{"sourceOfFunds", `["Gambling"]`}}, want: []string{"R-U14.1"}},
	{name: "U14 low-risk sources", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"sourceOfFunds", `["Salary", "Savings", "Inheritance"]`}}},
	{name: "U14 no sources", userType: "CONSUMER", stage: "INITIAL",
		user: []edit{{"sourceOfFunds", "-"}}},
	{name: "U14 does not apply to businesses", userType: "BUSINESS", stage: "INITIAL",
		user: []edit{{"sourceOfFunds", `["Gambling"]`}, {"legalEntity.sourceOfFunds", `["Crypto"]`}}},
}

func TestLibraryRules(t *testing.T) {
	s := compileLibrary(t)
	for _, c := range libraryCases {
		t.Run(c.name, func(t *testing.T) {
			out := s.Evaluate(c.input(t))
			if len(out.Failures) != 0 {
				t.Fatalf("failures: %v", out.Failures)
			}
			if got := hitIDs(out); !equalStrings(got, c.want) {
				t.Errorf("hits = %v, want %v", got, c.want)
			}
			for _, r := range out.Executed {
				want := false
				for _, id := range c.want {
					want = want || id == r.RuleInstanceID
				}
				if r.RuleHit != want {
					t.Errorf("executed %s: ruleHit = %v, want %v", r.RuleInstanceID, r.RuleHit, want)
				}
			}
		})
	}
}

// TestLibraryCasesCoverEveryRule checks that the table above has, for every library rule, a case
// where it hits and a case where it runs without hitting, for each user type it applies to.
func TestLibraryCasesCoverEveryRule(t *testing.T) {
	s := compileLibrary(t)
	type key struct{ id, userType string }
	hit, miss := map[key]bool{}, map[key]bool{}
	for _, c := range libraryCases {
		out := s.Evaluate(c.input(t))
		for _, r := range out.Executed {
			k := key{r.RuleInstanceID, c.userType}
			if r.RuleHit {
				hit[k] = true
			} else {
				miss[k] = true
			}
		}
	}
	for _, r := range Library() {
		for _, ut := range []string{"CONSUMER", "BUSINESS"} {
			if !applies(r.UserTypes, ut) {
				continue
			}
			k := key{r.InstanceID, ut}
			if !hit[k] {
				t.Errorf("%s has no hitting %s case", r.InstanceID, ut)
			}
			if !miss[k] {
				t.Errorf("%s has no missing %s case", r.InstanceID, ut)
			}
		}
	}
}

// TestLibraryApplicability checks the userTypes and stages restrictions: which library rules run
// for each user type and stage, in library order.
func TestLibraryApplicability(t *testing.T) {
	s := compileLibrary(t)
	ids := func(ns ...int) []string {
		var out []string
		for _, n := range ns {
			out = append(out, fmt.Sprintf("R-U%d.1", n))
		}
		return out
	}
	cases := []struct {
		userType, stage string
		want            []string
	}{
		{"CONSUMER", "INITIAL", ids(1, 2, 3, 4, 5, 7, 9, 10, 11, 14, 15)},
		{"CONSUMER", "UPDATE", ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15)},
		{"BUSINESS", "INITIAL", ids(1, 2, 3, 4, 5, 7, 10, 11, 12, 15)},
		{"BUSINESS", "UPDATE", ids(1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15)},
	}
	for _, c := range cases {
		t.Run(c.userType+"/"+c.stage, func(t *testing.T) {
			// A user that would hit every library rule if it ran.
			u := doc(t, `{
			  "sanctionsStatus": true, "adverseMediaStatus": true, "pepStatus": [{"isPepHit": true}],
			  "userStateDetails": {"state": "BLOCKED"}, "kycStatusDetails": {"status": "FAILED"},
			  "userDetails": {"countryOfResidence": "KP", "dateOfBirth": "2015-01-01"},
			  "legalDocuments": [{"documentType": "passport", "documentNumber": "1", "documentExpirationDate": 1}],
			  "directors": [{"sanctionsStatus": true}], "sourceOfFunds": ["Crypto"]}`)
			agg := Aggregates{Changes: map[string][]int64{"email": {nowMs, nowMs, nowMs}, "residence": {nowMs}},
				KYCFailures: []int64{nowMs, nowMs}}
			out := s.Evaluate(Input{UserType: c.userType, Stage: c.stage, User: u, Now: testNow, Aggregates: agg,
				Screening: map[string]any{"sanctions": true, "pep": false, "matches": 1.0}})
			if got := executedIDs(out); !reflect.DeepEqual(got, c.want) {
				t.Errorf("executed = %v, want %v", got, c.want)
			}
			// R-U10 needs ACTIVE, which this user is not; every other executed rule hits.
			var wantHits []string
			for _, id := range c.want {
				if id != "R-U10.1" {
					wantHits = append(wantHits, id)
				}
			}
			if got := hitIDs(out); !reflect.DeepEqual(got, wantHits) {
				t.Errorf("hits = %v, want %v", got, wantHits)
			}
		})
	}
	t.Run("unknown stage runs only unrestricted rules", func(t *testing.T) {
		out := s.Evaluate(Input{UserType: "CONSUMER", Stage: "", User: doc(t, cleanConsumer), Now: testNow})
		if got, want := executedIDs(out), ids(1, 2, 3, 4, 5, 7, 9, 10, 11, 14, 15); !reflect.DeepEqual(got, want) {
			t.Errorf("executed = %v, want %v", got, want)
		}
	})
}

// TestCleanUsersHitNothing evaluates clean users at both stages: every applicable library rule
// runs and none hits.
func TestCleanUsersHitNothing(t *testing.T) {
	s := compileLibrary(t)
	for _, c := range []struct {
		userType, base  string
		initial, update int
	}{
		{"CONSUMER", cleanConsumer, 11, 14},
		{"BUSINESS", cleanBusiness, 10, 13},
	} {
		for _, stage := range []string{"INITIAL", "UPDATE"} {
			t.Run(c.userType+"/"+stage, func(t *testing.T) {
				in := Input{UserType: c.userType, Stage: stage, User: profile(t, c.base), Now: testNow, RiskLevel: "LOW"}
				in.Aggregates = Aggregates{}.Update(nil, in.User, createdMs)
				want := c.initial
				if stage == "UPDATE" {
					in.Previous = profile(t, c.base)
					in.Aggregates = in.Aggregates.Update(in.Previous, in.User, nowMs)
					want = c.update
				}
				for _, riskLevel := range []string{"", "VERY_LOW", "HIGH"} {
					in.RiskLevel = riskLevel
					out := s.Evaluate(in)
					if len(out.Hits) != 0 || len(out.Triggers) != 0 || len(out.Failures) != 0 || len(out.Shadow) != 0 {
						t.Errorf("risk level %q: hits %v, triggers %v, failures %v, shadow %v", riskLevel,
							hitIDs(out), out.Triggers, out.Failures, shadowIDs(out))
					}
					if len(out.Executed) != want {
						t.Errorf("risk level %q: %d rules executed, want %d: %v", riskLevel, len(out.Executed), want, executedIDs(out))
					}
					for _, r := range out.Executed {
						if r.RuleHit || r.Vars != nil {
							t.Errorf("risk level %q: %s hit=%v vars=%v", riskLevel, r.RuleInstanceID, r.RuleHit, r.Vars)
						}
					}
				}
			})
		}
	}
}

// TestLibraryDocument checks the shipped library: fifteen valid rules R-U1..R-U15 in order, each
// with a unique instance id, enabled and live, and the document parses to Library().
func TestLibraryDocument(t *testing.T) {
	lib := Library()
	if len(lib) != 15 {
		t.Fatalf("library has %d rules, want 15", len(lib))
	}
	for i, r := range lib {
		if want := fmt.Sprintf("R-U%d", i+1); r.ID != want || r.InstanceID != want+".1" {
			t.Errorf("rule %d is %s/%s, want %s/%s.1", i, r.ID, r.InstanceID, want, want)
		}
		if err := Check(r, defaultLists); err != nil {
			t.Errorf("%s: %v", r.InstanceID, err)
		}
		if !r.IsEnabled() || r.Shadow || r.TriggersOnHit != nil {
			t.Errorf("%s: enabled=%v shadow=%v triggers=%v", r.InstanceID, r.IsEnabled(), r.Shadow, r.TriggersOnHit)
		}
		if r.Nature == "" || len(r.Labels) == 0 {
			t.Errorf("%s: nature %q labels %v", r.InstanceID, r.Nature, r.Labels)
		}
	}
	parsed, err := ParseRules(LibraryDocument())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(parsed, lib) {
		t.Error("ParseRules(LibraryDocument()) differs from Library()")
	}
	if !strings.Contains(string(LibraryDocument()), "rules:") {
		t.Error("the library document is not the shipped YAML")
	}
	// Library returns a fresh copy: changing it does not change the next call's rules.
	lib[0].Parameters = map[string]any{"x": 1.0}
	lib[3].Parameters["statuses"] = []any{"NEW"}
	again := Library()
	if again[0].Parameters != nil || !reflect.DeepEqual(again[3].Parameters["statuses"], []any{"FAILED", "EXPIRED"}) {
		t.Errorf("Library() shares state between calls: %v %v", again[0].Parameters, again[3].Parameters)
	}
}
