package vigil

import (
	"bytes"
	"strings"
	"testing"
)

// TestEntryRiskPacking checks that a history entry's stored risk state reads back byte for byte,
// in both stored forms, and that the default model's state shrinks to a fraction.
func TestEntryRiskPacking(t *testing.T) {
	consumer := `{"kyc":{"score":12.5,"level":"VERY_LOW","source":"COMPUTED"},"cra":{"score":80,"level":"HIGH","source":"OVERRIDE","locked":true},` +
		`"computedKyc":{"score":12.5,"level":"VERY_LOW","source":"COMPUTED"},"computedCra":{"score":41.2,"level":"MEDIUM","source":"COMPUTED"},` +
		`"activity":0,"activityAt":1700000000000,"factors":[{"id":"residence-country","name":"Country of residence","value":"IR","score":100,"weight":3,"contribution":9.1},` +
		`{"id":"pep","name":"Politically exposed person","missing":true,"score":20,"weight":3,"contribution":2.67},` +
		`{"id":"age","name":"Age","value":"19 years","score":60,"weight":1,"contribution":1.5}],` +
		`"floors":[{"reason":"sanctions hit","minimum":"HIGH"}],"modelName":"vigil-default","modelVersion":"2026-06"}`
	custom := `{"kyc":{"score":1,"level":"LOW"},"factors":[{"id":"x","name":"Ünïcode ✓ factor","value":"` + strings.Repeat("z", 5000) + `"}],"modelName":"mine"}`
	cases := []struct {
		name      string
		riskJSON  string
		maxPacked int // 0: no bound
	}{
		{"the default model's consumer state", consumer, len(consumer) / 2},
		{"a tenant's own model", custom, 0},
		{"the dictionary itself", entryRiskDictV1, len(entryRiskDictV1) / 10},
		{"no risk state", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			packed := packEntryRisk([]byte(c.riskJSON))
			if c.riskJSON == "" {
				if len(packed) != 0 {
					t.Fatalf("packed %q from nothing", packed)
				}
				return
			}
			if packed[0] != entryRiskDeflateV1 {
				t.Fatalf("format byte %#x", packed[0])
			}
			if c.maxPacked > 0 && len(packed) > c.maxPacked {
				t.Errorf("packed %d bytes into %d, want at most %d", len(c.riskJSON), len(packed), c.maxPacked)
			}
			got, err := unpackEntryRisk(packed)
			if err != nil || !bytes.Equal(got, []byte(c.riskJSON)) {
				t.Fatalf("unpacked %q, %v; want %q", got, err, c.riskJSON)
			}
			// An entry written before packing holds the JSON itself.
			if got, err := unpackEntryRisk([]byte(c.riskJSON)); err != nil || string(got) != c.riskJSON {
				t.Fatalf("plain JSON read as %q, %v", got, err)
			}
		})
	}
	for _, bad := range [][]byte{{0x02, 1, 2}, {entryRiskDeflateV1, 0xff, 0xff, 0xff}, {'['}} {
		if got, err := unpackEntryRisk(bad); err == nil {
			t.Errorf("unpackEntryRisk(%x) = %q, want an error", bad, got)
		}
	}
}

// BenchmarkPackEntryRisk is the cost a write pays to store its risk state compressed, and the
// stored size (B/stored) of a state of the default model (BENCHMARKS.md, "Loading many users").
func BenchmarkPackEntryRisk(b *testing.B) {
	state := []byte(`{"kyc":{"score":33.96,"level":"LOW","source":"COMPUTED"},"cra":{"score":10,"level":"VERY_LOW","source":"OVERRIDE"},` +
		`"computedKyc":{"score":33.96,"level":"LOW","source":"COMPUTED"},"computedCra":{"score":33.96,"level":"LOW","source":"COMPUTED"},` +
		`"activity":0,"activityAt":1796616484730,"factors":[{"id":"registration-country","name":"Country of registration","value":"DE","score":20,"weight":3,"contribution":2.5},` +
		`{"id":"operating-countries","name":"Operating countries (riskiest)","missing":true,"score":40,"weight":2,"contribution":3.33},` +
		`{"id":"industry","name":"Industry (riskiest)","missing":true,"score":50,"weight":2,"contribution":4.17},` +
		`{"id":"legal-entity-type","name":"Legal entity type","missing":true,"score":50,"weight":1,"contribution":2.08},` +
		`{"id":"related-parties","name":"Directors, shareholders and associated parties (riskiest)","missing":true,"score":50,"weight":3,"contribution":6.25},` +
		`{"id":"company-age","name":"Company age","missing":true,"score":50,"weight":1,"contribution":2.08},` +
		`{"id":"sanctions","name":"Sanctions screening","missing":true,"score":20,"weight":4,"contribution":3.33},` +
		`{"id":"pep","name":"Politically exposed (company)","missing":true,"score":20,"weight":2,"contribution":1.67},` +
		`{"id":"adverse-media","name":"Adverse media","missing":true,"score":20,"weight":2,"contribution":1.67},` +
		`{"id":"kyc-status","name":"KYB status","value":"SUCCESSFUL","score":10,"weight":2,"contribution":0.83},` +
		`{"id":"user-state","name":"User state","value":"UNACCEPTABLE","score":100,"weight":1,"contribution":4.17},` +
		`{"id":"business-segment","name":"Business segment","missing":true,"score":40,"weight":0.5,"contribution":0.83},` +
		`{"id":"acquisition-channel","name":"Acquisition channel","missing":true,"score":50,"weight":0.5,"contribution":1.04}],` +
		`"floors":[],"modelName":"vigil-default","modelVersion":"2026-06"}`)
	b.Run("pack", func(b *testing.B) {
		var n int
		for b.Loop() {
			n = len(packEntryRisk(state))
		}
		b.ReportMetric(float64(len(state)), "B/json")
		b.ReportMetric(float64(n), "B/stored")
	})
	b.Run("unpack", func(b *testing.B) {
		packed := packEntryRisk(state)
		for b.Loop() {
			if _, err := unpackEntryRisk(packed); err != nil {
				b.Fatal(err)
			}
		}
	})
}
