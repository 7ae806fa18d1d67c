package schema

import "testing"

// TestEqualAgreesWithFingerprint compares pairs of JSON documents both ways.
func TestEqualAgreesWithFingerprint(t *testing.T) {
	docs := []string{
		`{"a":1,"b":[1,2,{"c":"x"}]}`,
		`{"b":[1,2,{"c":"x"}],"a":1.0}`,
		`{"a":1,"b":[1,2,{"c":"y"}]}`,
		`{"a":1,"b":[2,1,{"c":"x"}]}`,
		`{"a":1}`,
		`{"a":"1"}`,
		`{"a":true}`,
		`{"a":null}`,
		`{"a":1e0}`,
		`{"a":[]}`,
		`{"a":{}}`,
		`{"a":123456789012345678901234567890}`,
		`{"a":123456789012345678901234567891}`,
	}
	for _, da := range docs {
		for _, db := range docs {
			a, err := DecodeObject([]byte(da))
			if err != nil {
				t.Fatal(err)
			}
			b, err := DecodeObject([]byte(db))
			if err != nil {
				t.Fatal(err)
			}
			want := Fingerprint(a) == Fingerprint(b)
			if got := Equal(a, b); got != want {
				t.Errorf("Equal(%s, %s) = %v, Fingerprint says %v", da, db, got, want)
			}
		}
	}
}
