package schema

import (
	"encoding/json"
	"reflect"
)

// Equal reports whether two JSON trees are equal as JSON: what Fingerprint would say, without
// encoding or hashing either. Subtrees shared by both (a merge patch keeps the untouched ones)
// compare at once.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer() {
			return true // one map: a merge keeps the parts a patch did not touch
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !Equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if len(x) > 0 && &x[0] == &y[0] {
			return true // one list
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number, float64:
		return sameNumber(x, b)
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	default:
		return Fingerprint(a) == Fingerprint(b)
	}
}

// sameNumber compares numbers by value, as Fingerprint spells them: 1, 1.0 and 1e0 are equal.
func sameNumber(a, b any) bool {
	fa, okA := Number(a)
	fb, okB := Number(b)
	if okA && okB {
		return fa == fb
	}
	// A number too large for a float64 compares by its spelling, as Fingerprint does.
	na, isA := a.(json.Number)
	nb, isB := b.(json.Number)
	return isA && isB && !okA && !okB && na == nb
}

// Number reads a JSON number of a tree (json.Number or float64) as a float64; ok is false for
// anything else, and for a json.Number too large for a float64.
func Number(v any) (f float64, ok bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}
