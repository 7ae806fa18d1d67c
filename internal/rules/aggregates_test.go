package rules

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
)

// TestUpdateCreate checks what a create records: the state's time when the profile has a state,
// a FAILED KYC status as a failure, and no attribute changes.
func TestUpdateCreate(t *testing.T) {
	cases := []struct {
		name         string
		user         string
		wantStateAt  int64
		wantFailures []int64
	}{
		{"state and successful KYC", `{"userStateDetails": {"state": "CREATED"}, "kycStatusDetails": {"status": "SUCCESSFUL"}}`, 1000, nil},
		{"failed KYC", `{"userStateDetails": {"state": "ACTIVE"}, "kycStatusDetails": {"status": "FAILED"}}`, 1000, []int64{1000}},
		{"failed KYC without state", `{"kycStatusDetails": {"status": "FAILED"}}`, 0, []int64{1000}},
		{"nothing", `{"userId": "u"}`, 0, nil},
		{"state details without state", `{"userStateDetails": {"reason": "x"}}`, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := Aggregates{}.Update(nil, doc(t, c.user), 1000)
			if a.StateChangedAt != c.wantStateAt {
				t.Errorf("StateChangedAt = %d, want %d", a.StateChangedAt, c.wantStateAt)
			}
			if !reflect.DeepEqual(a.KYCFailures, c.wantFailures) && !(len(a.KYCFailures) == 0 && len(c.wantFailures) == 0) {
				t.Errorf("KYCFailures = %v, want %v", a.KYCFailures, c.wantFailures)
			}
			if len(a.Changes) != 0 {
				t.Errorf("Changes = %v, want none", a.Changes)
			}
		})
	}
	t.Run("clean profiles", func(t *testing.T) {
		for _, base := range []string{cleanConsumer, cleanBusiness} {
			a := Aggregates{}.Update(nil, profile(t, base), createdMs)
			if a.StateChangedAt != createdMs || len(a.KYCFailures) != 0 || len(a.Changes) != 0 {
				t.Errorf("create of a clean profile: %+v", a)
			}
		}
	})
}

// TestUpdateTrackedAttributes changes one profile path at a time and checks that exactly its
// attribute records the change, for consumer and business paths.
func TestUpdateTrackedAttributes(t *testing.T) {
	const at = int64(1_800_000_000_000)
	cases := []struct {
		base, path, value string
		want              string // the attribute recorded, "" for none
	}{
		{cleanConsumer, "contactDetails.emailIds", `["new@example.de"]`, "email"},
		{cleanConsumer, "contactDetails.contactNumbers", `["+4917600000000", "+4915112345678"]`, "phone"},
		{cleanConsumer, "contactDetails.addresses", `[{"addressLines": ["Hauptstrasse 2"], "postcode": "10115", "city": "Berlin", "country": "DE"}]`, "address"},
		{cleanConsumer, "userDetails.name.lastName", `"Meyer"`, "name"},
		{cleanConsumer, "userDetails.countryOfResidence", `"AT"`, "residence"},
		{cleanConsumer, "userDetails.countryOfNationality", `"AT"`, "nationality"},
		{cleanConsumer, "userDetails.secondaryCountryOfNationality", `["AT"]`, "nationality"},
		{cleanConsumer, "legalDocuments", `[]`, "documents"},
		{cleanConsumer, "savedPaymentDetails", "-", "paymentDetails"},
		{cleanConsumer, "userStateDetails.state", `"DORMANT"`, "state"},
		{cleanConsumer, "kycStatusDetails.status", `"EXPIRED"`, "kycStatus"},
		{cleanConsumer, "contactDetails", "-", ""}, // three attributes at once: checked below
		{cleanConsumer, "occupation", `"Teacher"`, ""},
		{cleanConsumer, "userStateDetails.reason", `"Reviewed"`, ""},
		{cleanConsumer, "tags", `[]`, ""},
		{cleanBusiness, "legalEntity.contactDetails.emailIds", `["x@muster.example"]`, "email"},
		{cleanBusiness, "legalEntity.contactDetails.contactNumbers", `[]`, "phone"},
		{cleanBusiness, "legalEntity.contactDetails.addresses", "-", "address"},
		{cleanBusiness, "legalEntity.companyGeneralDetails.legalName", `"Muster AG"`, "name"},
		{cleanBusiness, "legalEntity.companyRegistrationDetails.registrationCountry", `"AT"`, "residence"},
		{cleanBusiness, "userStateDetails.state", `"SUSPENDED"`, "state"},
		{cleanBusiness, "directors", `[]`, ""},
	}
	for _, c := range cases {
		t.Run(c.path+"="+c.value, func(t *testing.T) {
			prev := profile(t, c.base)
			cur := profile(t, c.base, edit{c.path, c.value})
			a := Aggregates{}.Update(prev, cur, at)
			var got []string
			for attr, times := range a.Changes {
				if !reflect.DeepEqual(times, []int64{at}) {
					t.Errorf("%s: times %v, want [%d]", attr, times, at)
				}
				got = append(got, attr)
			}
			sort.Strings(got)
			want := []string{}
			if c.want != "" {
				want = []string{c.want}
			}
			if c.path == "contactDetails" {
				want = []string{"address", "email", "phone"}
			}
			if !equalStrings(got, want) {
				t.Errorf("changed attributes = %v, want %v", got, want)
			}
			wantStateAt := int64(0)
			if c.want == "state" {
				wantStateAt = at
			}
			if a.StateChangedAt != wantStateAt {
				t.Errorf("StateChangedAt = %d, want %d", a.StateChangedAt, wantStateAt)
			}
			if len(a.KYCFailures) != 0 {
				t.Errorf("KYCFailures = %v", a.KYCFailures)
			}
		})
	}
	// Every tracked attribute is exercised above.
	for attr := range Tracked {
		found := false
		for _, c := range cases {
			found = found || c.want == attr
		}
		if !found {
			t.Errorf("tracked attribute %q has no case", attr)
		}
	}
}

// TestUpdateEqualValues checks that values equal as JSON record no change, whatever their number
// spelling, key order or decoding (json.Number or float64).
func TestUpdateEqualValues(t *testing.T) {
	cases := []struct{ name, prev, cur string }{
		{"number spelling",
			`{"legalDocuments": [{"documentType": "passport", "documentNumber": "1", "documentExpirationDate": 1900000000000}]}`,
			`{"legalDocuments": [{"documentType": "passport", "documentNumber": "1", "documentExpirationDate": 1.9e12}]}`},
		{"trailing zeros",
			`{"savedPaymentDetails": [{"method": "CARD", "cardLast4Digits": "4242", "expiry": {"month": 12, "year": 2030.0}}]}`,
			`{"savedPaymentDetails": [{"method": "CARD", "cardLast4Digits": "4242", "expiry": {"month": 12.00, "year": 2030}}]}`},
		{"key order",
			`{"contactDetails": {"addresses": [{"addressLines": ["A 1"], "postcode": "1", "city": "X", "country": "DE"}], "emailIds": ["a@b.c"]}}`,
			`{"contactDetails": {"emailIds": ["a@b.c"], "addresses": [{"country": "DE", "city": "X", "postcode": "1", "addressLines": ["A 1"]}]}}`},
		{"untracked fields differ",
			`{"userDetails": {"countryOfResidence": "DE", "gender": "F"}, "occupation": "a"}`,
			`{"userDetails": {"countryOfResidence": "DE", "gender": "M"}, "occupation": "b"}`},
		{"identical clean consumer", cleanConsumer, cleanConsumer},
		{"identical clean business", cleanBusiness, cleanBusiness},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prior := Aggregates{StateChangedAt: 5, KYCFailures: []int64{6}, Changes: map[string][]int64{"email": {7}}}
			want := Aggregates{StateChangedAt: 5, KYCFailures: []int64{6}, Changes: map[string][]int64{"email": {7}}}
			if a := prior.Update(doc(t, c.prev), doc(t, c.cur), 1000); !reflect.DeepEqual(a, want) {
				t.Errorf("Update = %+v, want %+v", a, want)
			}
			// The previous profile as read back from storage (plain float64 numbers).
			var stored map[string]any
			if err := jsonUnmarshal(c.prev, &stored); err != nil {
				t.Fatal(err)
			}
			if a := prior.Update(stored, doc(t, c.cur), 1000); !reflect.DeepEqual(a, want) {
				t.Errorf("Update with float64 previous = %+v, want %+v", a, want)
			}
		})
	}
	t.Run("different numbers are a change", func(t *testing.T) {
		a := Aggregates{}.Update(
			doc(t, `{"legalDocuments": [{"documentExpirationDate": 1900000000000}]}`),
			doc(t, `{"legalDocuments": [{"documentExpirationDate": 1900000000001}]}`), 1000)
		if !reflect.DeepEqual(a.Changes, map[string][]int64{"documents": {1000}}) {
			t.Errorf("Changes = %v", a.Changes)
		}
	})
	t.Run("null and absent are the same", func(t *testing.T) {
		a := Aggregates{}.Update(doc(t, `{"contactDetails": {"emailIds": null}}`), doc(t, `{"contactDetails": {}}`), 1000)
		if len(a.Changes) != 0 {
			t.Errorf("Changes = %v", a.Changes)
		}
	})
}

// TestUpdateStateAndKYC checks StateChangedAt and KYCFailures over a sequence of writes.
func TestUpdateStateAndKYC(t *testing.T) {
	type write struct {
		at          int64
		state, kyc  string
		wantStateAt int64
		wantFails   []int64
	}
	writes := []write{
		{100, "CREATED", "NEW", 100, nil},             // create
		{200, "CREATED", "FAILED", 100, []int64{200}}, // KYC failed
		{300, "ACTIVE", "FAILED", 300, []int64{200}},  // still FAILED: no new failure
		{400, "ACTIVE", "IN_PROGRESS", 300, []int64{200}},
		{500, "ACTIVE", "FAILED", 300, []int64{200, 500}},
		{600, "SUSPENDED", "FAILED", 600, []int64{200, 500}},
		{700, "SUSPENDED", "SUCCESSFUL", 600, []int64{200, 500}},
	}
	var a Aggregates
	var prev map[string]any
	for i, w := range writes {
		cur := doc(t, fmt.Sprintf(`{"userStateDetails": {"state": %q}, "kycStatusDetails": {"status": %q}}`, w.state, w.kyc))
		a = a.Update(prev, cur, w.at)
		if a.StateChangedAt != w.wantStateAt {
			t.Errorf("write %d: StateChangedAt = %d, want %d", i, a.StateChangedAt, w.wantStateAt)
		}
		if !reflect.DeepEqual(a.KYCFailures, w.wantFails) && !(len(a.KYCFailures) == 0 && len(w.wantFails) == 0) {
			t.Errorf("write %d: KYCFailures = %v, want %v", i, a.KYCFailures, w.wantFails)
		}
		prev = cur
	}
	if want := []int64{200, 400, 500, 700}; !reflect.DeepEqual(a.Changes["kycStatus"], want) {
		t.Errorf("kycStatus changes = %v, want %v", a.Changes["kycStatus"], want)
	}
	if want := []int64{300, 600}; !reflect.DeepEqual(a.Changes["state"], want) {
		t.Errorf("state changes = %v, want %v", a.Changes["state"], want)
	}
}

// TestUpdateKeepsAtMost64 checks the bound on change times (the newest are kept) for attribute
// changes and KYC failures.
func TestUpdateKeepsAtMost64(t *testing.T) {
	var a Aggregates
	prev := doc(t, `{"contactDetails": {"emailIds": ["0@x.example"]}, "kycStatusDetails": {"status": "NEW"}}`)
	a = a.Update(nil, prev, 0)
	for i := 1; i <= 100; i++ {
		status := "FAILED"
		if i%2 == 0 {
			status = "IN_PROGRESS"
		}
		cur := doc(t, fmt.Sprintf(`{"contactDetails": {"emailIds": ["%d@x.example"]}, "kycStatusDetails": {"status": %q}}`, i, status))
		a = a.Update(prev, cur, int64(i))
		prev = cur
		if n := len(a.Changes["email"]); n != min(i, 64) {
			t.Fatalf("after %d changes, %d kept", i, n)
		}
	}
	var want []int64
	for i := int64(37); i <= 100; i++ {
		want = append(want, i)
	}
	if !reflect.DeepEqual(a.Changes["email"], want) {
		t.Errorf("email changes = %v, want 37..100", a.Changes["email"])
	}
	if !reflect.DeepEqual(a.Changes["kycStatus"], want) {
		t.Errorf("kycStatus changes = %v, want 37..100", a.Changes["kycStatus"])
	}
	// 100 writes, FAILED on the odd ones: 50 failures, all kept.
	if len(a.KYCFailures) != 50 || a.KYCFailures[0] != 1 || a.KYCFailures[49] != 99 {
		t.Errorf("KYCFailures = %v, want the 50 odd times", a.KYCFailures)
	}
	for i := 101; i <= 140; i++ {
		status := "FAILED"
		if i%2 == 0 {
			status = "IN_PROGRESS"
		}
		cur := doc(t, fmt.Sprintf(`{"contactDetails": {"emailIds": ["%d@x.example"]}, "kycStatusDetails": {"status": %q}}`, i, status))
		a = a.Update(prev, cur, int64(i))
		prev = cur
	}
	// 70 failures in all (1, 3, ..., 139): the newest 64 are 13, 15, ..., 139.
	if len(a.KYCFailures) != 64 || a.KYCFailures[0] != 13 || a.KYCFailures[63] != 139 {
		t.Errorf("KYCFailures = %v (%d), want 13..139 odd (64)", a.KYCFailures, len(a.KYCFailures))
	}
}

// TestUpdateDoesNotModifyItsReceiver: aggregates are values; an update returns new ones and the
// old ones (and their slices) stay as they were, even when the slices have spare capacity.
func TestUpdateDoesNotModifyItsReceiver(t *testing.T) {
	email := make([]int64, 2, 10)
	email[0], email[1] = 1, 2
	fails := make([]int64, 1, 10)
	fails[0] = 3
	a := Aggregates{Changes: map[string][]int64{"email": email}, KYCFailures: fails, StateChangedAt: 4}
	prev := doc(t, `{"contactDetails": {"emailIds": ["a@x"]}, "kycStatusDetails": {"status": "NEW"}, "userStateDetails": {"state": "CREATED"}}`)
	cur := doc(t, `{"contactDetails": {"emailIds": ["b@x"]}, "kycStatusDetails": {"status": "FAILED"}, "userStateDetails": {"state": "ACTIVE"}}`)
	b := a.Update(prev, cur, 9)
	c := a.Update(prev, doc(t, `{"contactDetails": {"emailIds": ["c@x"]}}`), 8)
	want := Aggregates{Changes: map[string][]int64{"email": {1, 2}}, KYCFailures: []int64{3}, StateChangedAt: 4}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("receiver changed: %+v", a)
	}
	if !reflect.DeepEqual(b.Changes["email"], []int64{1, 2, 9}) || !reflect.DeepEqual(b.KYCFailures, []int64{3, 9}) || b.StateChangedAt != 9 {
		t.Errorf("first update: %+v", b)
	}
	if !reflect.DeepEqual(c.Changes["email"], []int64{1, 2, 8}) {
		t.Errorf("second update shares the first's slices: %v", c.Changes["email"])
	}
}
