package schema

import (
	"reflect"
	"testing"
)

func mustObject(t *testing.T, s string) Object {
	t.Helper()
	obj, err := DecodeObject([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return obj
}

func TestMergePatch(t *testing.T) {
	tests := []struct {
		name, target, patch, want string
	}{
		{"add a field", `{"a":"x"}`, `{"b":"y"}`, `{"a":"x","b":"y"}`},
		{"replace a scalar", `{"a":"x"}`, `{"a":"z"}`, `{"a":"z"}`},
		{"null removes", `{"a":"x","b":"y"}`, `{"a":null}`, `{"b":"y"}`},
		{"null for an absent field", `{"a":"x"}`, `{"q":null}`, `{"a":"x"}`},
		{"objects merge recursively", `{"d":{"n":{"f":"A","l":"B"},"c":"DE"}}`, `{"d":{"n":{"f":"C"}}}`, `{"d":{"n":{"f":"C","l":"B"},"c":"DE"}}`},
		{"nested null removes", `{"d":{"n":{"f":"A","l":"B"}}}`, `{"d":{"n":{"l":null}}}`, `{"d":{"n":{"f":"A"}}}`},
		{"arrays replace", `{"a":[1,2,3]}`, `{"a":[4]}`, `{"a":[4]}`},
		{"object replaces scalar", `{"a":"x"}`, `{"a":{"b":"c"}}`, `{"a":{"b":"c"}}`},
		{"scalar replaces object", `{"a":{"b":"c"}}`, `{"a":"x"}`, `{"a":"x"}`},
		{"nulls inside replaced arrays are absent", `{}`, `{"a":[{"x":1,"y":null}]}`, `{"a":[{"x":1}]}`},
		{"null inside a new object is absent", `{}`, `{"a":{"b":null,"c":1}}`, `{"a":{"c":1}}`},
		{"empty patch", `{"a":1}`, `{}`, `{"a":1}`},
		{"tags merge by key", `{"tags":[{"key":"a","value":"1"},{"key":"b","value":"2"}]}`,
			`{"tags":[{"key":"b","value":"3"},{"key":"c","value":"4"}]}`,
			`{"tags":[{"key":"a","value":"1"},{"key":"b","value":"3"},{"key":"c","value":"4"}]}`},
		{"a tag with a null value removes its key", `{"tags":[{"key":"a","value":"1"},{"key":"b","value":"2"}]}`,
			`{"tags":[{"key":"a","value":null},{"key":"z","value":null}]}`, `{"tags":[{"key":"b","value":"2"}]}`},
		{"tags null removes all", `{"tags":[{"key":"a","value":"1"}],"x":1}`, `{"tags":null}`, `{"x":1}`},
		{"tags on a user without tags", `{}`, `{"tags":[{"key":"a","value":"1"}]}`, `{"tags":[{"key":"a","value":"1"}]}`},
		{"nested tags replace like any array", `{"d":{"tags":[{"key":"a","value":"1"}]}}`, `{"d":{"tags":[{"key":"b","value":"2"}]}}`, `{"d":{"tags":[{"key":"b","value":"2"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := mustObject(t, tt.target)
			before := DeepCopy(target)
			got := MergePatch(target, mustObject(t, tt.patch))
			if want := mustObject(t, tt.want); Fingerprint(got) != Fingerprint(want) {
				g, _ := Encode(got)
				t.Fatalf("MergePatch = %s, want %s", g, tt.want)
			}
			if !reflect.DeepEqual(target, before) {
				t.Fatalf("MergePatch modified its target")
			}
		})
	}
}

func TestStripNulls(t *testing.T) {
	got := StripNulls(mustObject(t, `{"a":null,"b":{"c":null,"d":1},"e":[null,{"f":null}]}`))
	want := mustObject(t, `{"b":{"d":1},"e":[null,{}]}`)
	if Fingerprint(got) != Fingerprint(want) {
		g, _ := Encode(got)
		t.Fatalf("StripNulls = %s", g)
	}
}

// TestWithoutNulls: a tree with null members comes back stripped and the original untouched; a
// tree without them comes back as it is, not copied (null array items are not members).
func TestWithoutNulls(t *testing.T) {
	const withNulls = `{"a":null,"b":{"c":null,"d":1},"e":[null,{"f":null}]}`
	doc := mustObject(t, withNulls)
	got := WithoutNulls(doc)
	if want := mustObject(t, `{"b":{"d":1},"e":[null,{}]}`); Fingerprint(got) != Fingerprint(want) {
		g, _ := Encode(got)
		t.Fatalf("WithoutNulls = %s", g)
	}
	if Fingerprint(doc) != Fingerprint(mustObject(t, withNulls)) {
		t.Fatal("WithoutNulls changed its argument")
	}
	for _, clean := range []string{`{"b":{"d":1},"e":[null,{"x":[1,null]}]}`, `{}`} {
		doc := mustObject(t, clean)
		if got, ok := WithoutNulls(doc).(map[string]any); !ok || reflect.ValueOf(got).UnsafePointer() != reflect.ValueOf(doc).UnsafePointer() {
			t.Errorf("WithoutNulls(%s) copied a tree without null members", clean)
		}
	}
}
