package risk

import (
	"math"
	"reflect"
	"testing"
)

// binaryCases are states whose binary form must read back exactly: real assessments of both
// kinds (with overrides, locks and floors) and values off every fast path (numbers that are not
// hundredths, negative zero, NaN and infinities, strings outside the table, nil and empty lists).
func binaryCases(t testing.TB) []State {
	return append(assessedStates(t),
		State{},
		State{Factors: []FactorResult{}, Floors: []string{}},
		State{Factors: []FactorResult{{ID: `"q"`, Name: "Zoë <&>", Value: "a\nb", Missing: true, Score: 1e-7, Weight: 1e21, Contribution: -0.5}},
			Floors: []string{"sanctions: HIGH", ""}, KYC: Score{Locked: true, Score: 12.345678901234567, Level: "ODD"},
			CRA: Score{Score: math.Copysign(0, -1)}, ComputedKYC: Score{Score: math.Inf(-1)}, ComputedCRA: Score{Score: -42.42},
			Activity: 1 << 60, ActivityAt: -5, ModelName: "tenant model", ModelVersion: "v9"})
}

// TestBinaryRoundTrip: every state reads back as it was, and its JSON is the same.
func TestBinaryRoundTrip(t *testing.T) {
	for i, st := range binaryCases(t) {
		b := st.AppendBinary(nil)
		got, err := DecodeBinary(b)
		if err != nil {
			t.Fatalf("state %d: %v", i, err)
		}
		if string(got.AppendJSON(nil)) != string(st.AppendJSON(nil)) || !reflect.DeepEqual(got, st) ||
			math.Signbit(got.CRA.Score) != math.Signbit(st.CRA.Score) {
			t.Errorf("state %d:\n got %s\nwant %s", i, got.AppendJSON(nil), st.AppendJSON(nil))
		}
	}
	nan := State{Activity: math.NaN()}
	if got, err := DecodeBinary(nan.AppendBinary(nil)); err != nil || !math.IsNaN(got.Activity) {
		t.Errorf("NaN read back as %v, %v", got.Activity, err)
	}
}

// TestBinaryRefusesDamage: a form cut short or with bytes after it is refused, not misread.
func TestBinaryRefusesDamage(t *testing.T) {
	b := binaryCases(t)[1].AppendBinary(nil)
	for n := range len(b) {
		if _, err := DecodeBinary(b[:n]); err == nil {
			t.Errorf("cut to %d of %d bytes: no error", n, len(b))
		}
	}
	if _, err := DecodeBinary(append(b, 0)); err == nil {
		t.Error("a byte after the form: no error")
	}
}

// FuzzDecodeBinary: no input makes DecodeBinary panic or allocate without bound, and whatever it
// reads writes back to a form that reads the same.
func FuzzDecodeBinary(f *testing.F) {
	for _, st := range binaryCases(f) {
		f.Add(st.AppendBinary(nil))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := DecodeBinary(b)
		if err != nil {
			return
		}
		again, err := DecodeBinary(st.AppendBinary(nil))
		if err != nil || string(again.AppendJSON(nil)) != string(st.AppendJSON(nil)) {
			t.Fatalf("%x read as %s, written and read again as %s, %v", b, st.AppendJSON(nil), again.AppendJSON(nil), err)
		}
	})
}

// BenchmarkBinary is the cost of a history entry's risk state in its stored form, and its size
// (B/stored) against its JSON's (B/json).
func BenchmarkBinary(b *testing.B) {
	st := binaryCases(b)[0]
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		for b.Loop() {
			buf = st.AppendBinary(buf[:0])
		}
		b.ReportMetric(float64(len(buf)), "B/stored")
		b.ReportMetric(float64(len(st.AppendJSON(nil))), "B/json")
	})
	b.Run("decode", func(b *testing.B) {
		buf := st.AppendBinary(nil)
		for b.Loop() {
			if _, err := DecodeBinary(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
