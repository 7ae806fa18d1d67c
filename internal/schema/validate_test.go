package schema

import (
	"reflect"
	"testing"
)

// TestValidateChangedFindsWhatValidateFinds applies patches to a valid profile and checks that
// looking only at the changed properties reports exactly the problems of a full validation.
func TestValidateChangedFindsWhatValidateFinds(t *testing.T) {
	v, err := NewValidator("User", "UserOptional", "PaymentDetails")
	if err != nil {
		t.Fatal(err)
	}
	profile, err := DecodeObject(richProfile(t))
	if err != nil {
		t.Fatal(err)
	}
	if p := v.Validate("User", profile, Full, ""); p != nil {
		t.Fatalf("the starting profile is invalid: %v", p)
	}
	tests := []struct {
		name, patch string
		valid       bool
	}{
		{"valid change", `{"userStateDetails":{"state":"SUSPENDED"},"tags":[{"key":"a","value":"b"}]}`, true},
		{"bad enum inside a changed object", `{"kycStatusDetails":{"status":"MAYBE"}}`, false},
		{"bad type at the top", `{"employmentStatus":7}`, false},
		{"required field removed", `{"createdTimestamp":null}`, false},
		{"unknown property", `{"favouriteColour":"blue"}`, true},
		{"an optional field removed", `{"tags":null}`, true},
		{"a required field of a changed item missing", `{"tags":[{"key":"a"}]}`, false},
		{"a changed object merged with what it had", `{"userDetails":{"dateOfBirth":"1991-02-03"}}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			patch, err := DecodeObject([]byte(tc.patch))
			if err != nil {
				t.Fatal(err)
			}
			merged := MergePatch(profile, patch)
			full := v.Validate("User", merged, Full, "attrs")
			changed := v.ValidateChanged("User", merged, patch, Full, "attrs", Proven{})
			if !reflect.DeepEqual(changed, full) {
				t.Errorf("ValidateChanged = %v, Validate = %v", changed, full)
			}
			// The write path's order: the patch is checked first, and what that proved is
			// not checked again.
			if _, proven := v.ValidateProving("UserOptional", WithoutNulls(patch).(Object), Patch, "attrs"); true {
				if got := v.ValidateChanged("User", merged, patch, Full, "attrs", proven); !reflect.DeepEqual(got, full) {
					t.Errorf("ValidateChanged with the patch's proof = %v, Validate = %v", got, full)
				}
			}
			if (full == nil) != tc.valid {
				t.Errorf("problems %v, want valid=%v", full, tc.valid)
			}
		})
	}
	// A schema that relates its properties (allOf here) is always validated whole.
	if _, independent := v.required["PaymentDetails"]; independent {
		t.Error("PaymentDetails was taken as a schema of independent properties")
	}
}

// TestValidateChangedTrustsOnlyWhatWasProven checks that a proof covers only the values it was
// given, under a schema that declares them the same way, and only when nothing was found.
func TestValidateChangedTrustsOnlyWhatWasProven(t *testing.T) {
	v, err := NewValidator("User", "UserOptional", "Business", "BusinessOptional")
	if err != nil {
		t.Fatal(err)
	}
	decode := func(s string) Object {
		t.Helper()
		o, err := DecodeObject([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	prove := func(name, doc string) Proven {
		t.Helper()
		problems, proven := v.ValidateProving(name, decode(doc), Patch, "")
		if problems != nil {
			t.Fatalf("%s %s: %v", name, doc, problems)
		}
		return proven
	}
	tests := []struct {
		name, schema, doc, changed string
		proven                     Proven
		wantProblems               bool
	}{
		{"the proven value itself is not checked again", "User",
			`{"userId":"u","createdTimestamp":1,"kycStatusDetails":{"status":"SUCCESSFUL"}}`, `{"kycStatusDetails":{}}`,
			prove("UserOptional", `{"kycStatusDetails":{"status":"SUCCESSFUL"}}`), false},
		{"a value other than the proven one is checked", "User",
			`{"userId":"u","createdTimestamp":1,"kycStatusDetails":{"status":"MAYBE"}}`, `{"kycStatusDetails":{}}`,
			prove("UserOptional", `{"kycStatusDetails":{"status":"SUCCESSFUL"}}`), true},
		{"a property the two schemas declare differently is checked", "Business",
			`{"userId":"b","createdTimestamp":1,"legalEntity":{"companyGeneralDetails":{}}}`, `{"legalEntity":{}}`,
			prove("BusinessOptional", `{"legalEntity":{"companyGeneralDetails":{}}}`), true},
		{"a patch that misses a required field proves nothing", "User",
			`{"userId":"u","createdTimestamp":1,"tags":[{"key":"k"}]}`, `{"tags":[]}`,
			prove("UserOptional", `{"tags":[{"key":"k"}]}`), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := v.ValidateChanged(tc.schema, decode(tc.doc), decode(tc.changed), Full, "", tc.proven)
			if (got != nil) != tc.wantProblems {
				t.Errorf("problems %v, want some: %v", got, tc.wantProblems)
			}
		})
	}
}
