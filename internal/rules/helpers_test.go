package rules

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The fixed clock of every test: no test reads the wall clock.
var testNow = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

const dayMs = int64(24 * time.Hour / time.Millisecond)

var nowMs = testNow.UnixMilli()

// defaultLists are the country lists of the default risk model (internal/risk/default-model.yaml).
var defaultLists = map[string][]string{
	"fatfCallForAction":       {"KP", "IR", "MM"},
	"fatfIncreasedMonitoring": {"AO", "BA", "BO", "BG", "CM", "CI", "CD", "HT", "IQ", "KE", "KW", "LA", "LB", "MC", "NP", "PG", "SS", "SY", "VE", "VN", "VG", "YE"},
	"euHighRisk":              {"AF", "DZ", "AO", "BO", "CM", "CI", "CD", "KP", "HT", "IR", "KE", "LA", "LB", "MC", "MM", "NA", "NP", "RU", "SS", "SY", "TT", "VU", "VE", "VN", "VG", "YE"},
}

// cleanConsumer is an active, KYC-successful domestic consumer that no library rule hits.
// documentExpirationDate is 2031-01-01 (after testNow).
const cleanConsumer = `{
  "userId": "c-1",
  "createdTimestamp": 1700000000000,
  "activatedTimestamp": 1700000100000,
  "userDetails": {
    "name": {"firstName": "Anna", "middleName": "Maria", "lastName": "Schmidt"},
    "dateOfBirth": "1990-04-12",
    "countryOfResidence": "DE",
    "countryOfNationality": "DE",
    "gender": "F",
    "placeOfBirth": {"city": "Berlin", "country": "DE"}
  },
  "userStateDetails": {"state": "ACTIVE", "reason": "Onboarding complete"},
  "kycStatusDetails": {"status": "SUCCESSFUL", "reason": "Document and liveness checks passed"},
  "employmentStatus": "EMPLOYED",
  "occupation": "Software engineer",
  "legalDocuments": [
    {"documentType": "passport", "documentNumber": "C01X00T47", "documentIssuedDate": 1609459200000,
     "documentExpirationDate": 1924992000000, "documentIssuedCountry": "DE",
     "nameOnDocument": {"firstName": "Anna", "lastName": "Schmidt"}}
  ],
  "contactDetails": {
    "emailIds": ["anna.schmidt@example.de"],
    "contactNumbers": ["+4915112345678"],
    "addresses": [{"addressLines": ["Hauptstrasse 1"], "postcode": "10115", "city": "Berlin", "country": "DE"}]
  },
  "transactionLimits": {"maximumDailyTransactionLimit": {"amountValue": 3000, "amountCurrency": "EUR"}},
  "expectedIncome": {"yearlyIncome": {"amountValue": 65000.5, "amountCurrency": "EUR"}},
  "reasonForAccountOpening": ["Savings"],
  "sourceOfFunds": ["Salary"],
  "userSegment": "RETAIL",
  "pepStatus": [{"isPepHit": false}],
  "sanctionsStatus": false,
  "adverseMediaStatus": false,
  "savedPaymentDetails": [{"method": "IBAN", "IBAN": "DE89370400440532013000", "BIC": "COBADEFFXXX"}],
  "tags": [{"key": "channel", "value": "app"}]
}`

// cleanBusiness is an active, KYC-successful German business with a clean director that no
// library rule hits.
const cleanBusiness = `{
  "userId": "b-1",
  "createdTimestamp": 1700000000000,
  "legalEntity": {
    "companyGeneralDetails": {"legalName": "Muster Software GmbH", "businessIndustry": ["Software"], "mainProductsServicesSold": ["SaaS"]},
    "companyFinancialDetails": {"expectedTransactionAmountPerMonth": {"amountValue": 50000, "amountCurrency": "EUR"}},
    "companyRegistrationDetails": {"registrationIdentifier": "HRB 123456", "registrationCountry": "DE", "legalEntityType": "GmbH", "dateOfRegistration": "2015-03-01"},
    "contactDetails": {
      "emailIds": ["info@muster.example"],
      "contactNumbers": ["+49301234567"],
      "addresses": [{"addressLines": ["Industriestrasse 5"], "postcode": "80331", "city": "Muenchen", "country": "DE"}]
    },
    "pepStatus": [{"isPepHit": false}]
  },
  "userStateDetails": {"state": "ACTIVE"},
  "kycStatusDetails": {"status": "SUCCESSFUL"},
  "directors": [
    {"generalDetails": {"name": {"firstName": "Jonas", "lastName": "Weber"}, "dateOfBirth": "1975-05-20", "countryOfResidence": "DE", "countryOfNationality": "DE"},
     "pepStatus": [{"isPepHit": false}]}
  ],
  "shareHolders": [
    {"generalDetails": {"name": {"firstName": "Jonas", "lastName": "Weber"}, "countryOfNationality": "DE"}, "pepStatus": []}
  ],
  "sanctionsStatus": false,
  "adverseMediaStatus": false,
  "tags": [{"key": "segment", "value": "SMB"}]
}`

// decodeAny decodes one JSON value the way production does (numbers as json.Number).
func decodeAny(t testing.TB, js string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %q: %v", js, err)
	}
	return v
}

// doc decodes a JSON object with numbers as json.Number.
func doc(t testing.TB, js string) map[string]any {
	t.Helper()
	m, ok := decodeAny(t, js).(map[string]any)
	if !ok {
		t.Fatalf("test JSON is not an object: %s", js)
	}
	return m
}

// edit sets the dotted path of a profile to a JSON value; the value "-" deletes the key.
type edit struct{ path, value string }

// profile decodes base and applies edits, creating missing objects on the way.
func profile(t testing.TB, base string, edits ...edit) map[string]any {
	t.Helper()
	m := doc(t, base)
	for _, e := range edits {
		keys := strings.Split(e.path, ".")
		cur := m
		for _, k := range keys[:len(keys)-1] {
			next, ok := cur[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[k] = next
			}
			cur = next
		}
		last := keys[len(keys)-1]
		if e.value == "-" {
			delete(cur, last)
			continue
		}
		cur[last] = decodeAny(t, e.value)
	}
	return m
}

func compileLibrary(t testing.TB) *Set {
	t.Helper()
	s, err := Compile(Library(), defaultLists)
	if err != nil {
		t.Fatalf("Compile(Library()): %v", err)
	}
	return s
}

// rule is a valid custom rule with the given instance id and expression.
func rule(id, expression string) Rule {
	return Rule{ID: "RC-" + id, InstanceID: id, Name: "Rule " + id, Description: "Test rule " + id,
		Action: "FLAG", Expression: expression}
}

func mustCompile(t testing.TB, rs ...Rule) *Set {
	t.Helper()
	s, err := Compile(rs, defaultLists)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

func executedIDs(out Output) []string {
	ids := []string{}
	for _, r := range out.Executed {
		ids = append(ids, r.RuleInstanceID)
	}
	return ids
}

func hitIDs(out Output) []string {
	ids := []string{}
	for _, h := range out.Hits {
		ids = append(ids, h.RuleInstanceID)
	}
	return ids
}

func shadowIDs(out Output) []string {
	ids := []string{}
	for _, r := range out.Shadow {
		ids = append(ids, r.RuleInstanceID)
	}
	return ids
}

func failureIDs(out Output) []string {
	ids := []string{}
	for _, f := range out.Failures {
		ids = append(ids, f.RuleInstanceID)
	}
	return ids
}

func findResult(rs []Result, id string) (Result, bool) {
	for _, r := range rs {
		if r.RuleInstanceID == id {
			return r, true
		}
	}
	return Result{}, false
}

func equalStrings(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// jsonOf renders a value for failure messages.
func jsonOf(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(buf.String())
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
