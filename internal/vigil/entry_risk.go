package vigil

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/vigil-aml/vigil/internal/risk"
)

// A history entry keeps the risk state its write computed (for the point-in-time view), and the
// user's row the latest. As JSON that is about 1.7 KB, mostly the same factor ids, names and keys
// every time: more than the rest of the entry together, and more than the rest of the row (with
// it a row of 2.4 KB took a 4 KiB page of its own). Both store it behind a format byte: format 2
// is risk.State's binary form (risk/binary.go), written by every write since (the row's since
// issue 24's eleventh session); format 1, written by an earlier build for entries only, is the
// JSON DEFLATE-compressed against a preset dictionary, and cost a write 40 to 80 µs where format
// 2 costs one; older entries and rows hold the JSON itself, which starts with '{'. Every format
// stays readable.
const (
	entryRiskDeflateV1 = 0x01
	entryRiskBinaryV2  = 0x02
)

// entryRiskDictV1 is the preset dictionary of format 1 (read only now): a consumer's and a business's risk
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

// packRisk is the stored form of a risk state, the entry's and the row's.
func packRisk(st risk.State) []byte {
	return st.AppendBinary(append(make([]byte, 0, 256), entryRiskBinaryV2))
}

// unpackRisk reads a stored risk state (an entry's or a row's) of any format.
func unpackRisk(stored []byte) (risk.State, error) {
	var st risk.State
	switch {
	case len(stored) == 0:
		return st, errors.New("stored risk state: empty")
	case stored[0] == entryRiskBinaryV2:
		st, err := risk.DecodeBinary(stored[1:])
		if err != nil {
			return st, fmt.Errorf("stored risk state: %w", err)
		}
		return st, nil
	}
	riskJSON := stored
	if stored[0] != '{' {
		if stored[0] != entryRiskDeflateV1 {
			return st, fmt.Errorf("stored risk state: unknown format %#x", stored[0])
		}
		r := flate.NewReaderDict(bytes.NewReader(stored[1:]), []byte(entryRiskDictV1))
		defer r.Close()
		var err error
		if riskJSON, err = io.ReadAll(r); err != nil {
			return st, fmt.Errorf("stored risk state: %w", err)
		}
	}
	if err := json.Unmarshal(riskJSON, &st); err != nil {
		return st, fmt.Errorf("stored risk state: %w", err)
	}
	return st, nil
}
