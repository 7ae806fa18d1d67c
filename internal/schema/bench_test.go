package schema

import (
	"os"
	"path/filepath"
	"testing"
)

// richProfile is the SDK's maximal consumer profile when the shared spec is at hand, else a
// realistic one written here.
func richProfile(b testing.TB) []byte {
	if data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "spec", "fixtures", "flagright-examples",
		"retrieve-a-consumer-user-example-1.response-body.json")); err == nil {
		obj, err := DecodeObject(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range []string{"executedRules", "hitRules", "riskScoreDetails", "activatedTimestamp"} {
			delete(obj, f)
		}
		out, _ := Encode(obj)
		return out
	}
	return []byte(`{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada","lastName":"Lovelace"},
		"countryOfResidence":"DE","countryOfNationality":"DE","dateOfBirth":"1990-01-01"},"userStateDetails":{"state":"ACTIVE"},
		"kycStatusDetails":{"status":"SUCCESSFUL"},"contactDetails":{"emailIds":["ada@example.com"],"addresses":[{"addressLines":["1 Main St"],"city":"Berlin"}]},
		"legalDocuments":[{"documentType":"passport","documentNumber":"X1","documentExpirationDate":1900000000000}],
		"tags":[{"key":"a","value":"b"}],"savedPaymentDetails":[{"method":"IBAN","IBAN":"DE89370400440532013000"}]}`)
}

func BenchmarkDecodeObject(b *testing.B) {
	data := richProfile(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeObject(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateProfile(b *testing.B) {
	v, err := NewValidator("User")
	if err != nil {
		b.Fatal(err)
	}
	doc, _ := DecodeObject(richProfile(b))
	b.ReportAllocs()
	for b.Loop() {
		if p := v.Validate("User", doc, Full, ""); p != nil {
			b.Fatal(p)
		}
	}
}

// BenchmarkValidateChanged validates the same profile after an event's patch, looking only at
// what the patch changed (the write path's check of an in-order event).
func BenchmarkValidateChanged(b *testing.B) {
	v, err := NewValidator("User")
	if err != nil {
		b.Fatal(err)
	}
	doc, _ := DecodeObject(richProfile(b))
	patch, _ := DecodeObject([]byte(`{"userStateDetails":{"state":"SUSPENDED","reason":"review"},"kycStatusDetails":{"status":"MANUAL_REVIEW"},"tags":[{"key":"a","value":"c"}]}`))
	merged := MergePatch(doc, patch)
	b.ReportAllocs()
	for b.Loop() {
		if p := v.ValidateChanged("User", merged, patch, Full, "", Proven{}); p != nil {
			b.Fatal(p)
		}
	}
}

func BenchmarkMergePatch(b *testing.B) {
	doc, _ := DecodeObject(richProfile(b))
	patch, _ := DecodeObject([]byte(`{"userStateDetails":{"state":"SUSPENDED","reason":"review"},"kycStatusDetails":{"status":"MANUAL_REVIEW"},"tags":[{"key":"a","value":"c"}]}`))
	b.ReportAllocs()
	for b.Loop() {
		MergePatch(doc, patch)
	}
}

func BenchmarkEncode(b *testing.B) {
	doc, _ := DecodeObject(richProfile(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeReflect is BenchmarkEncode through encoding/json, for comparison.
func BenchmarkEncodeReflect(b *testing.B) {
	doc, _ := DecodeObject(richProfile(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeReflect(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateChangedProven is BenchmarkValidateChanged after the patch's own check, as
// the write path runs it: what that check proved is not checked again.
func BenchmarkValidateChangedProven(b *testing.B) {
	v, err := NewValidator("User", "UserOptional")
	if err != nil {
		b.Fatal(err)
	}
	doc, _ := DecodeObject(richProfile(b))
	patch, _ := DecodeObject([]byte(`{"userStateDetails":{"state":"SUSPENDED","reason":"review"},"kycStatusDetails":{"status":"MANUAL_REVIEW"},"tags":[{"key":"a","value":"c"}]}`))
	merged := MergePatch(doc, patch)
	_, proven := v.ValidateProving("UserOptional", patch, Patch, "")
	b.ReportAllocs()
	for b.Loop() {
		if p := v.ValidateChanged("User", merged, patch, Full, "", proven); p != nil {
			b.Fatal(p)
		}
	}
}

// BenchmarkValidateEnvelope validates an event without its attributes, as every event's
// first check does: two ids against the Identifier pattern, a bounded timestamp.
func BenchmarkValidateEnvelope(b *testing.B) {
	v, err := NewValidator("ConsumerUserEvent")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := DecodeObject([]byte(`{"eventId":"load-1795753118931009671-e87105","reason":"load","timestamp":1700000087105,"userId":"load-1795753118931009671-415"}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if p := v.Validate("ConsumerUserEvent", doc, Full, ""); p != nil {
			b.Fatal(p)
		}
	}
}
