package risk

import "strings"

// path is a compiled dotted path; an "[]" suffix on a segment visits every item of that array.
type path []segment

type segment struct {
	key  string
	each bool
}

func compilePath(p string) path {
	var out path
	for _, part := range strings.Split(p, ".") {
		each := strings.HasSuffix(part, "[]")
		out = append(out, segment{key: strings.TrimSuffix(part, "[]"), each: each})
	}
	return out
}

// collect appends to dst every value at p in doc; arrays at the end of a path are flattened.
func (p path) collect(doc any, dst []any) []any {
	if len(p) == 0 {
		if arr, ok := doc.([]any); ok {
			return append(dst, arr...)
		}
		if doc != nil {
			dst = append(dst, doc)
		}
		return dst
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return dst
	}
	v, ok := obj[p[0].key]
	if !ok {
		return dst
	}
	if p[0].each {
		arr, _ := v.([]any)
		for _, item := range arr {
			dst = p[1:].collect(item, dst)
		}
		return dst
	}
	return p[1:].collect(v, dst)
}
