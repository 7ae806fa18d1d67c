package schema

import (
	"encoding/hex"
	"strconv"
	"testing"
)

func TestFingerprint(t *testing.T) {
	tests := []struct {
		name  string
		a, b  string
		equal bool
	}{
		{"key order", `{"a":1,"b":{"c":2,"d":3}}`, `{"b":{"d":3,"c":2},"a":1}`, true},
		{"white space", `{"a":[1,2]}`, "{ \"a\" : [ 1 , 2 ] }", true},
		{"number spelling", `{"a":1.0,"b":100}`, `{"a":1,"b":1e2}`, true},
		{"different value", `{"a":1}`, `{"a":2}`, false},
		{"array order matters", `{"a":[1,2]}`, `{"a":[2,1]}`, false},
		{"string vs number", `{"a":"1"}`, `{"a":1}`, false},
		{"null vs absent", `{"a":null}`, `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa, fb := Fingerprint(mustObject(t, tt.a)), Fingerprint(mustObject(t, tt.b))
			if (fa == fb) != tt.equal {
				t.Fatalf("Fingerprint(%s) == Fingerprint(%s) is %v, want %v", tt.a, tt.b, fa == fb, tt.equal)
			}
		})
	}
	if Fingerprint(mustObject(t, `{}`), "x") == Fingerprint(mustObject(t, `{}`), "y") {
		t.Fatal("extra strings do not change the fingerprint")
	}
}

// TestFingerprintIsStable pins one fingerprint: request hashes are stored for idempotent
// replays, so a change in the canonical form would turn every retry of an older request into a
// conflict.
func TestFingerprintIsStable(t *testing.T) {
	doc := mustObject(t, `{"b":[1,2.50,1e3,"x\"y\u2028<z>",{"k\n":"é"}],"a":null,"c":true,"d":123456789012345678901234567890}`)
	f := Fingerprint(doc, "flag=1")
	if got := hex.EncodeToString(f[:]); got != "683ddcd52e76be85b0c533224cde4884057c7362a04fadc9f4c4527d909789fa" {
		t.Fatalf("Fingerprint changed: %s", got)
	}
}

// TestGoQuotingMatchesStrconv: the canonical form's quoting must stay strconv.AppendQuote's byte
// for byte, or stored request hashes stop matching. Every byte value, alone and in plain text.
func TestGoQuotingMatchesStrconv(t *testing.T) {
	cases := []string{"", "plain", "é中😀", "\xf0\x9f\x98", "a\u2028b"}
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "plain text "+string([]byte{byte(c)})+" and more")
	}
	for _, s := range cases {
		if got, want := appendGoQuoted(nil, s), strconv.AppendQuote(nil, s); string(got) != string(want) {
			t.Errorf("appendGoQuoted(%q) = %s, want %s", s, got, want)
		}
	}
}
