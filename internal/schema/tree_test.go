package schema

import (
	"encoding/json"
	"math"
	"testing"
)

// TestEncodeTreeMatchesEncodingJSON checks the tree encoder against encoding/json (without HTML
// escaping) on the SDK's maximal profile and on strings that need escaping.
func TestEncodeTreeMatchesEncodingJSON(t *testing.T) {
	profile, err := DecodeObject(richProfile(t))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]any{
		"profile": profile,
		"strings": map[string]any{"quote\"": "a\"b", "slash": `a\b`, "html": "<a href='x'>&</a>", "newline": "a\nb\tc\rd",
			"control": "a\x01b\x1fc", "unicode": "Zoë, 東京", "separators": "a\u2028b\u2029c", "invalid": "a\xffb", "empty": "",
			"more control": "\b\f\x00\x7f", "cut rune": "ab\xe6\x9d", "dash": "one — two ’ three", "lone surrogate": "\xed\xa0\x80"},
		"values": map[string]any{"n": json.Number("1.50"), "f": 2.5, "i": 3, "b": false, "null": nil, "list": []any{}, "obj": map[string]any{}, "typed": []string{"x"}},
		"array":  []any{"x", json.Number("1"), map[string]any{"b": 1, "a": 2}},
	}
	for name, doc := range docs {
		got, err := Encode(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := encodeReflect(doc)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// TestPlainASCIIMatchesTheByteTest puts every byte value at every position of strings of
// several lengths (the word loop and the tail) and compares with the test done byte by byte.
func TestPlainASCIIMatchesTheByteTest(t *testing.T) {
	plain := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				return false
			}
		}
		return true
	}
	for _, n := range []int{1, 7, 8, 9, 16, 23} {
		for _, fill := range []byte{'a', ' ', '~', 0x7f} {
			for pos := range n {
				for c := range 256 {
					b := make([]byte, n)
					for i := range b {
						b[i] = fill
					}
					b[pos] = byte(c)
					if s := string(b); plainASCII(s) != plain(s) {
						t.Fatalf("plainASCII(%q) = %v, want %v", s, plainASCII(s), plain(s))
					}
				}
			}
		}
	}
}

// TestAppendStringMatchesEncodingJSON compares the string quoting with encoding/json's for every
// byte value, alone and between plain text, and for runes that need care.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	var cases []string
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "plain text "+string([]byte{byte(c)})+" more plain text")
	}
	cases = append(cases, "\u2028\u2029", "é中😀", "\xf0\x9f\x98", "\xc3", "a\u2028b\\\"c\td")
	for _, s := range cases {
		want, err := encodeReflect(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

// TestAppendFloatMatchesEncodingJSON compares the float spelling, fast path included, with
// encoding/json's on scores, hundredths, their neighbours and the edges of each format.
func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	values := []float64{0, math.Copysign(0, -1), 1, -1, 20, 20.44, 2.67, 0.01, 0.1, 0.05, 99.99, 100, 1e-6, 1e-7, 0.001,
		1.005, 2.675, 1e13 - 0.01, 1e13, 1e15, 1e20, 1e21, -1e21, 123456789.12, 1.0 / 3, math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.Nextafter(2.67, 3), math.Nextafter(2.67, 2), math.Nextafter(100, 0)}
	for i := range 20000 { // every hundredth from -100 to 100, and the thirds between them
		values = append(values, float64(i-10000)/100, float64(i-10000)/300)
	}
	for _, f := range values {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendFloat(nil, f); string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}
