package schema

import (
	"reflect"
	"testing"
)

// TestValidateChangedFindsWhatValidateFinds applies patches to a valid profile and checks that
// looking only at the changed properties reports exactly the problems of a full validation.
func TestValidateChangedFindsWhatValidateFinds(t *testing.T) {
	v, err := NewValidator("User", "PaymentDetails")
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			patch, err := DecodeObject([]byte(tc.patch))
			if err != nil {
				t.Fatal(err)
			}
			merged := MergePatch(profile, patch)
			full := v.Validate("User", merged, Full, "attrs")
			changed := v.ValidateChanged("User", merged, patch, Full, "attrs")
			if !reflect.DeepEqual(changed, full) {
				t.Errorf("ValidateChanged = %v, Validate = %v", changed, full)
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
