package schema

import "maps"

// StripNulls removes every object member whose value is null, at any depth (array items that
// are null themselves are kept, so validation reports them). It changes v in place and returns it.
// Outside a merge patch, null means "absent" (both official SDKs send null for unset fields).
func StripNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			StripNulls(e)
		}
	case []any:
		for _, e := range t {
			StripNulls(e)
		}
	}
	return v
}

// WithoutNulls returns v without the null members of its objects, as StripNulls would leave a
// copy of it, but returns v itself, uncopied, when it has none (the usual case).
func WithoutNulls(v any) any {
	if !hasNullMember(v) {
		return v
	}
	return StripNulls(DeepCopy(v))
}

func hasNullMember(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			if e == nil || hasNullMember(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if hasNullMember(e) {
				return true
			}
		}
	}
	return false
}

// DeepCopy returns a copy of a JSON tree that shares nothing mutable with v.
func DeepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(t))
		for k, e := range t {
			c[k] = DeepCopy(e)
		}
		return c
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = DeepCopy(e)
		}
		return c
	}
	return v
}

// MergePatch applies patch to target as RFC 7386 describes: objects merge key by key,
// recursively; arrays and scalars replace; null removes the member. target is not modified; the
// result shares no mutable values with patch.
//
// One exception, as Flagright does it: the top-level "tags" array merges by tag "key" (a patch
// tag replaces the stored tags with its key, new keys are appended, other tags stay), and
// "tags": null removes every tag. A patch tag whose "value" is null removes the stored tags with
// its key and adds none (a Vigil extension: Flagright's merge by key cannot remove one tag, and
// such a tag was refused before, as a tag needs a value).
func MergePatch(target, patch Object) Object {
	out := mergeObject(target, patch)
	if tags, ok := patch["tags"].([]any); ok {
		out["tags"] = mergeTags(target["tags"], tags)
	}
	return out
}

func mergeObject(target, patch Object) Object {
	// maps.Clone copies the table whole; ranging over target to fill a new map cost twice as much.
	out := maps.Clone(target)
	if out == nil {
		out = make(Object, len(patch))
	}
	for k, pv := range patch {
		if pv == nil {
			delete(out, k)
			continue
		}
		pobj, isObj := pv.(Object)
		if !isObj {
			out[k] = StripNulls(DeepCopy(pv))
			continue
		}
		tobj, _ := out[k].(Object)
		out[k] = mergeObject(tobj, pobj)
	}
	return out
}

func mergeTags(stored any, patch []any) []any {
	replaced := map[any]bool{}
	for _, t := range patch {
		if obj, ok := t.(Object); ok {
			replaced[obj["key"]] = true
		}
	}
	out := []any{}
	if list, ok := stored.([]any); ok {
		for _, t := range list {
			if obj, ok := t.(Object); ok && replaced[obj["key"]] {
				continue
			}
			out = append(out, t)
		}
	}
	for _, t := range patch {
		if obj, ok := t.(Object); ok && removesTag(obj) {
			continue
		}
		out = append(out, StripNulls(DeepCopy(t)))
	}
	return out
}

// removesTag reports whether a patch tag removes its key: its value is present and null.
func removesTag(tag Object) bool {
	v, present := tag["value"]
	return present && v == nil
}
