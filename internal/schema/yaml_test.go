package schema

import "testing"

func TestYAMLToJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"country codes stay strings", "countries: [NO, SE, ON, Y, n]", `{"countries":["NO","SE","ON","Y","n"]}`},
		{"booleans", "a: true\nb: false", `{"a":true,"b":false}`},
		{"numbers", "a: 1\nb: 2.5", `{"a":1,"b":2.5}`},
		{"JSON is YAML", `{"a": [1, "x"]}`, `{"a":[1,"x"]}`},
		{"nested", "a:\n  b: [{c: d}]", `{"a":{"b":[{"c":"d"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := YAMLToJSON([]byte(tt.in))
			if err != nil || string(got) != tt.want {
				t.Fatalf("YAMLToJSON = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "a: [1", "a: 1\n---\nb: 2"} {
		if _, err := YAMLToJSON([]byte(bad)); err == nil {
			t.Errorf("YAMLToJSON(%q) succeeded", bad)
		}
	}
}
