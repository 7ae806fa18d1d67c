package risk

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
)

// assessedStates are real assessments of the default model: a consumer with a hit, the same
// with overrides and a lock, and a business.
func assessedStates(t testing.TB) []State {
	m := Default()
	profile, err := schema.DecodeObject([]byte(`{"userId":"u","sanctionsStatus":true,"userDetails":{"countryOfResidence":"IR","dateOfBirth":"1990-01-01"},"employmentStatus":"EMPLOYED"}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(1_800_000_000_000)
	yes := true
	first := m.Assess(Input{Profile: profile, Now: now, Hits: []string{"BLOCK"}})
	return []State{
		first,
		m.Assess(Input{Profile: profile, Now: now, Previous: first, KYCOverride: "LOW", LockCRA: &yes, CRAOverride: "HIGH"}),
		m.Assess(Input{Business: true, Profile: schema.Object{}, Now: now}),
	}
}

// TestAppendJSONMatchesEncodingJSON compares the hand-written encoders with encoding/json on real
// assessments (with overrides, locks and hits) and on values that exercise every omitted, nil and
// escaped case.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	states := append(assessedStates(t), State{},
		State{Factors: []FactorResult{{ID: `"q"`, Name: "Zoë <&>", Value: "a\nb", Missing: true, Score: 1e-7, Weight: 1e21, Contribution: -0.5}},
			Floors: []string{"sanctions: HIGH"}, KYC: Score{Locked: true, Score: 12.345678901234567}})
	for i, st := range states {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(st); err != nil {
			t.Fatal(err)
		}
		if got := st.AppendJSON(nil); string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("state %d:\n got %s\nwant %s", i, got, want.Bytes())
		}
		d := st.Details()
		b, _ := json.Marshal(d)
		if got := d.AppendJSON(nil); string(got) != string(b) {
			t.Errorf("details %d:\n got %s\nwant %s", i, got, b)
		}
	}
}
