package vigil

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"
)

// A history entry keeps the risk state its write computed (for the point-in-time view), which
// as JSON is about 1.7 KB, mostly the same factor ids, names and keys in every entry: more than
// the rest of the entry together. Entries therefore store it DEFLATE-compressed against a preset
// dictionary of those recurring strings (about 0.2 KB), behind a format byte; the user's row
// keeps its latest risk as plain JSON, since every write reads it. Entries written before this
// hold the JSON itself, which starts with '{' and is read as it is. The dictionary is part of the
// stored format: a different one needs a new format byte, and this one must stay readable.
const entryRiskDeflateV1 = 0x01

// entryRiskDictV1 is the preset dictionary of format 1: a consumer's and a business's risk
// state under the default model. DEFLATE finds matches nearest the end first, so the most
// common strings are last.
const entryRiskDictV1 = `{"id":"registration-country","name":"Country of registration","value":"` +
	`{"id":"operating-countries","name":"Operating countries (riskiest)",` +
	`{"id":"industry","name":"Industry (riskiest)",` +
	`{"id":"legal-entity-type","name":"Legal entity type",` +
	`{"id":"related-parties","name":"Directors, shareholders and associated parties (riskiest)",` +
	`{"id":"company-age","name":"Company age",` +
	`{"id":"pep","name":"Politically exposed (company)",` +
	`{"id":"kyc-status","name":"KYB status",` +
	`{"id":"business-segment","name":"Business segment",` +
	`"source":"OVERRIDE"},"level":"VERY_LOW","level":"HIGH","level":"VERY_HIGH","value":"UNACCEPTABLE","value":"BLOCKED",` +
	`"value":"SUCCESSFUL","value":"FAILED","value":"NOT_STARTED","value":"IN_PROGRESS","value":"SUSPENDED","value":"ACTIVE",` +
	`"floors":[{"reason":"","minimum":` +
	`{"kyc":{"score":36.22,"level":"LOW","source":"COMPUTED"},"cra":{"score":52.17,"level":"MEDIUM","source":"COMPUTED"},` +
	`"computedKyc":{"score":36.22,"level":"LOW","source":"COMPUTED"},"computedCra":{"score":52.17,"level":"MEDIUM","source":"COMPUTED"},` +
	`"activity":25,"activityAt":1796616487049,"factors":[` +
	`{"id":"residence-country","name":"Country of residence","value":"DE","score":20,"weight":3,"contribution":2.67},` +
	`{"id":"nationality","name":"Nationality (any)","missing":true,"score":50,"weight":2,"contribution":4.44},` +
	`{"id":"pep","name":"Politically exposed person","missing":true,"score":20,"weight":3,"contribution":2.67},` +
	`{"id":"sanctions","name":"Sanctions screening","missing":true,"score":20,"weight":4,"contribution":3.56},` +
	`{"id":"adverse-media","name":"Adverse media","missing":true,"score":20,"weight":2,"contribution":1.78},` +
	`{"id":"kyc-status","name":"KYC status","value":"FAILED","score":90,"weight":2,"contribution":8},` +
	`{"id":"user-state","name":"User state","value":"SUSPENDED","score":70,"weight":1,"contribution":3.11},` +
	`{"id":"age","name":"Age","value":"54 years","score":20,"weight":1,"contribution":0.89},` +
	`{"id":"employment-status","name":"Employment status","missing":true,"score":50,"weight":1,"contribution":2.22},` +
	`{"id":"source-of-funds","name":"Source of funds (riskiest)","missing":true,"score":50,"weight":1.5,"contribution":3.33},` +
	`{"id":"user-segment","name":"User segment","missing":true,"score":30,"weight":0.5,"contribution":0.67},` +
	`{"id":"acquisition-channel","name":"Acquisition channel","missing":true,"score":50,"weight":0.5,"contribution":1.11},` +
	`{"id":"expired-documents","name":"Expired legal documents","missing":true,"score":40,"weight":1,"contribution":1.78}],` +
	`"floors":[],"modelName":"vigil-default","modelVersion":"2026-06"}`

// entryRiskWriters reuses compressors: a new one allocates about 1 MB.
var entryRiskWriters = sync.Pool{New: func() any {
	w, err := flate.NewWriterDict(io.Discard, flate.DefaultCompression, []byte(entryRiskDictV1))
	if err != nil {
		panic(err) // only for an invalid level
	}
	return w
}}

// packEntryRisk is the stored form of a history entry's risk state (nil stays nil).
func packEntryRisk(riskJSON []byte) []byte {
	if len(riskJSON) == 0 {
		return riskJSON
	}
	var buf bytes.Buffer
	buf.Grow(len(riskJSON)/4 + 16)
	buf.WriteByte(entryRiskDeflateV1)
	w := entryRiskWriters.Get().(*flate.Writer)
	defer entryRiskWriters.Put(w)
	w.Reset(&buf)
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write(riskJSON)
	_ = w.Close()
	return buf.Bytes()
}

// unpackEntryRisk returns the risk state JSON of a stored entry, of either form.
func unpackEntryRisk(stored []byte) ([]byte, error) {
	if len(stored) == 0 || stored[0] == '{' {
		return stored, nil
	}
	if stored[0] != entryRiskDeflateV1 {
		return nil, fmt.Errorf("stored risk state: unknown format %#x", stored[0])
	}
	r := flate.NewReaderDict(bytes.NewReader(stored[1:]), []byte(entryRiskDictV1))
	defer r.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("stored risk state: %w", err)
	}
	return out, nil
}
