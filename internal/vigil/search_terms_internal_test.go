package vigil

import (
	"slices"
	"testing"

	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/schema"
)

func TestSearchTerms(t *testing.T) {
	for _, tc := range []struct {
		name    string
		userID  string
		kind    Kind
		profile string
		hits    []rules.Hit
		want    []string
	}{
		{"a bare consumer", "U-1", Consumer, `{"userId":"U-1"}`, nil, []string{"*", "id:u-1", "pfx:u-1", "type:CONSUMER"}},
		{"a consumer with everything", "u1", Consumer, `{"userDetails":{"name":{"firstName":"Ann","middleName":"B","lastName":"Cole"}},
			"contactDetails":{"emailIds":["Ann@X.io","a2@x.io"]},"userStateDetails":{"state":"ACTIVE"},"kycStatusDetails":{"status":"FAILED"},
			"riskLevel":"HIGH","tags":[{"key":"vip","value":"1"},{"key":"","value":"ignored"}]}`, nil,
			[]string{"*", "cra:HIGH", "email:a2@x.io", "email:ann@x.io", "id:u1", "kyc:FAILED", "name:ann b cole", "name:b cole", "name:cole",
				"pfx:a2@", "pfx:ann", "pfx:b c", "pfx:col", "pfx:u1", "state:ACTIVE", "tag:vip", "tag:vip=1", "type:CONSUMER"}},
		{"a business", "b1", Business, `{"legalEntity":{"companyGeneralDetails":{"legalName":"Acme  Ltd"},"contactDetails":{"emailIds":["ops@acme.com"]}},
			"contactDetails":{"emailIds":["ignored@x.io"]}}`, nil,
			[]string{"*", "email:ops@acme.com", "id:b1", "name:acme ltd", "name:ltd", "pfx:acm", "pfx:b1", "pfx:ltd", "pfx:ops", "type:BUSINESS"}},
		{"short prefixes lose a trailing space and count runes", "Ab cd", Consumer, `{"userDetails":{"name":{"firstName":"Zoë","lastName":"Ng"}}}`, nil,
			[]string{"*", "id:ab cd", "name:ng", "name:zoë ng", "pfx:ab", "pfx:ng", "pfx:zoë", "type:CONSUMER"}},
		{"an id of blanks still has the short term that marks a user indexed", " ", Consumer, `{}`, nil, []string{"*", "pfx:", "type:CONSUMER"}},
		{"wrong types are skipped", "u2", Consumer, `{"userStateDetails":"ACTIVE","tags":"vip","contactDetails":{"emailIds":[5]}}`, nil,
			[]string{"*", "id:u2", "pfx:u2", "type:CONSUMER"}},
		{"rules that hit, by rule and instance; a shadow hit is not the user's", "u3", Consumer, `{}`,
			[]rules.Hit{{RuleID: "R-1", RuleInstanceID: "R-1.1"}, {RuleInstanceID: "RC-9"}, {RuleID: "R-2", RuleInstanceID: "R-2.1", IsShadow: true}},
			[]string{"*", "hit:R-1", "hit:R-1.1", "hit:RC-9", "id:u3", "pfx:u3", "type:CONSUMER"}},
	} {
		profile, err := schema.DecodeObject([]byte(tc.profile))
		if err != nil {
			t.Fatal(err)
		}
		if got := searchTerms(tc.userID, tc.kind, profile, tc.hits); !slices.Equal(got, tc.want) {
			t.Errorf("%s: terms = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDiffTerms(t *testing.T) {
	for _, tc := range []struct {
		before, after, added, removed []string
	}{
		{nil, []string{"a", "b"}, []string{"a", "b"}, nil},
		{[]string{"a", "b"}, nil, nil, []string{"a", "b"}},
		{[]string{"a", "c", "d"}, []string{"b", "c", "e"}, []string{"b", "e"}, []string{"a", "d"}},
		{[]string{"a"}, []string{"a"}, nil, nil},
	} {
		added, removed := DiffTerms(tc.before, tc.after)
		if !slices.Equal(added, tc.added) || !slices.Equal(removed, tc.removed) {
			t.Errorf("DiffTerms(%q, %q) = %q, %q; want %q, %q", tc.before, tc.after, added, removed, tc.added, tc.removed)
		}
	}
}

func TestTermsBefore(t *testing.T) {
	for _, tc := range []struct {
		terms, want    string
		added, removed []string
	}{
		{"a\nb", "a\nb", nil, nil},
		{"a\nb\nc", "a", []string{"b", "c"}, nil},
		{"b", "a\nc", []string{"b"}, []string{"c", "a"}},
		{"", "x", nil, []string{"x"}},
	} {
		u := UserRecord{Terms: tc.terms, TermsAdded: tc.added, TermsRemoved: tc.removed}
		if got := TermsBefore(u); got != tc.want {
			t.Errorf("TermsBefore(%q + %q - %q) = %q, want %q", tc.terms, tc.added, tc.removed, got, tc.want)
		}
	}
}

// BenchmarkSetTerms is the search index's share of a write's CPU: the terms of a typical profile
// and their difference from the stored ones (one tag changed).
func BenchmarkSetTerms(b *testing.B) {
	profile, err := schema.DecodeObject([]byte(`{"userId":"u1","userDetails":{"name":{"firstName":"Ada","lastName":"Lovelace"}},
		"contactDetails":{"emailIds":["ada@example.com"]},"userStateDetails":{"state":"ACTIVE"},"kycStatusDetails":{"status":"SUCCESSFUL"},
		"riskLevel":"LOW","tags":[{"key":"k","value":"2"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	before := UserRecord{UserID: "u1", Kind: Consumer, Terms: "*\ncra:LOW\nemail:ada@example.com\nid:u1\nkyc:SUCCESSFUL\nname:ada lovelace\nname:lovelace\nstate:ACTIVE\ntag:k\ntag:k=1\ntype:CONSUMER"}
	b.ReportAllocs()
	for b.Loop() {
		rec := before
		setTerms(&rec, profile, nil)
		if len(rec.TermsAdded) != 1 || len(rec.TermsRemoved) != 1 {
			b.Fatalf("added %q, removed %q", rec.TermsAdded, rec.TermsRemoved)
		}
	}
}
