package vigil

import (
	"bytes"
	"compress/flate"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/schema"
)

// deflateV1 writes a risk state's JSON as the build before stored it (format 1).
func deflateV1(t testing.TB, riskJSON string) []byte {
	var buf bytes.Buffer
	buf.WriteByte(entryRiskDeflateV1)
	w, err := flate.NewWriterDict(&buf, flate.DefaultCompression, []byte(entryRiskDictV1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(riskJSON)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// defaultState is the default model's assessment of a consumer.
func defaultState(t testing.TB) risk.State {
	profile, err := schema.DecodeObject([]byte(`{"userId":"u","userDetails":{"countryOfResidence":"IR","dateOfBirth":"2007-01-01"},
		"kycStatusDetails":{"status":"FAILED"},"userStateDetails":{"state":"SUSPENDED"}}`))
	if err != nil {
		t.Fatal(err)
	}
	return risk.Default().Assess(risk.Input{Profile: profile, Now: time.UnixMilli(1_800_000_000_000)})
}

// TestEntryRiskPacking: a stored risk state (an entry's or a user row's) reads back as it was in
// every stored form (written now, written by an earlier build, written before it was packed),
// the default model's state takes a fraction of its JSON, and damage is an error.
func TestEntryRiskPacking(t *testing.T) {
	st := defaultState(t)
	stJSON := string(st.AppendJSON(nil))
	custom := risk.State{Factors: []risk.FactorResult{{ID: "x", Name: "Ünïcode ✓ factor", Value: strings.Repeat("z", 5000)}}, ModelName: "mine"}
	for _, c := range []struct {
		name      string
		stored    []byte
		want      string
		maxStored int // 0: no bound
	}{
		{"the default model's state", packRisk(st), stJSON, len(stJSON) / 6},
		{"a tenant's own model", packRisk(custom), string(custom.AppendJSON(nil)), 0},
		{"format 1", deflateV1(t, stJSON), stJSON, 0},
		{"plain JSON", []byte(stJSON), stJSON, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.maxStored > 0 && len(c.stored) > c.maxStored {
				t.Errorf("stored %d bytes of JSON in %d, want at most %d", len(c.want), len(c.stored), c.maxStored)
			}
			got, err := unpackRisk(c.stored)
			if err != nil || string(got.AppendJSON(nil)) != c.want {
				t.Fatalf("read %s, %v; want %s", got.AppendJSON(nil), err, c.want)
			}
		})
	}
	for _, bad := range [][]byte{nil, {0x03, 1, 2}, {entryRiskBinaryV2, 0xff}, {entryRiskDeflateV1, 0xff, 0xff, 0xff}, {'['}, []byte(`{"kyc":`)} {
		if got, err := unpackRisk(bad); err == nil {
			t.Errorf("unpackRisk(%x) = %+v, want an error", bad, got)
		}
	}
}

// BenchmarkPackEntryRisk is the cost a write pays to store its risk state, and the stored size
// (B/stored) of a state of the default model (BENCHMARKS.md, "Loading many users"); "deflate"
// is the format the build before wrote, for comparison.
func BenchmarkPackEntryRisk(b *testing.B) {
	st := defaultState(b)
	b.Run("pack", func(b *testing.B) {
		var n int
		for b.Loop() {
			n = len(packRisk(st))
		}
		b.ReportMetric(float64(len(st.AppendJSON(nil))), "B/json")
		b.ReportMetric(float64(n), "B/stored")
	})
	b.Run("deflate", func(b *testing.B) {
		var buf bytes.Buffer
		w, err := flate.NewWriterDict(&buf, flate.DefaultCompression, []byte(entryRiskDictV1))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			buf.Reset()
			w.Reset(&buf)
			_, _ = w.Write(st.AppendJSON(make([]byte, 0, 2048)))
			_ = w.Close()
		}
		b.ReportMetric(float64(buf.Len()+1), "B/stored")
	})
	b.Run("unpack", func(b *testing.B) {
		packed := packRisk(st)
		for b.Loop() {
			if _, err := unpackRisk(packed); err != nil {
				b.Fatal(err)
			}
		}
	})
}
