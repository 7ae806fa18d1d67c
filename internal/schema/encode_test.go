package schema

import "testing"

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
