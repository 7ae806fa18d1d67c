package schema

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecodeObject(t *testing.T) {
	deep := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	tests := []struct {
		name    string
		in      string
		wantErr string // substring of the reason; empty means success
	}{
		{"object", `{"a": 1, "b": [true, null, "x"]}`, ""},
		{"empty body", ``, "empty"},
		{"white space only", " \n ", "empty"},
		{"array body", `[1]`, "must be a JSON object"},
		{"string body", `"x"`, "must be a JSON object"},
		{"malformed", `{"a": }`, "malformed JSON"},
		{"unterminated", `{"a": 1`, "malformed JSON"},
		{"trailing data", `{"a": 1} {}`, "after the top-level value"},
		{"duplicate key", `{"a": 1, "a": 2}`, "duplicate"},
		{"nested duplicate key", `{"x": {"a": 1, "a": 1}}`, "duplicate"},
		{"invalid utf-8", "{\"a\": \"\xff\"}", "malformed JSON"},
		{"depth 64 ok", deep(64), ""},
		{"depth 65", deep(65), "deeper than 64"},
		{"huge number", `{"a": 1e400}`, "out of range"},
		{"negative huge number", `{"a": -1e400}`, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeObject([]byte(tt.in))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("DecodeObject(%q) = %v, want success", tt.in, err)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("DecodeObject(%q) error = %v, want a *DecodeError", tt.in, err)
			}
			if !strings.Contains(de.Reason, tt.wantErr) {
				t.Fatalf("DecodeObject(%q) reason = %q, want it to contain %q", tt.in, de.Reason, tt.wantErr)
			}
		})
	}
}

func TestDecodeKeepsNumberSpellingAndTypes(t *testing.T) {
	obj, err := DecodeObject([]byte(`{"n": 12345678901234567890, "f": 1.50, "s": "a\u00e9", "b": false, "z": null}`))
	if err != nil {
		t.Fatal(err)
	}
	if obj["n"] != json.Number("12345678901234567890") || obj["f"] != json.Number("1.50") {
		t.Errorf("numbers = %#v, %#v; want their exact spelling", obj["n"], obj["f"])
	}
	if obj["s"] != "aé" || obj["b"] != false {
		t.Errorf("s, b = %#v, %#v", obj["s"], obj["b"])
	}
	if v, ok := obj["z"]; !ok || v != nil {
		t.Errorf("z = %#v, %v; want a present nil", v, ok)
	}
	out, err := Encode(obj)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":false,"f":1.50,"n":12345678901234567890,"s":"aé","z":null}`
	if string(out) != want {
		t.Errorf("Encode = %s, want %s", out, want)
	}
}
