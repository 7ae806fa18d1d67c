package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"strconv"
	"sync"
)

// Encode serialises a JSON tree (or any value encoding/json accepts) without HTML escaping, with
// object keys sorted, and without a trailing newline.
func Encode(v any) ([]byte, error) {
	switch v.(type) {
	case map[string]any, []any:
		return AppendTree(make([]byte, 0, 512), v)
	}
	return encodeReflect(v)
}

// Fingerprint hashes a JSON tree so that two values equal as JSON (whatever their key order,
// white space or number spelling) have the same fingerprint. Extra strings (such as the effective
// query flags of a request) take part in the hash.
func Fingerprint(v any, extra ...string) [32]byte {
	buf := canonicalBuffers.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		canonicalBuffers.Put(buf)
	}()
	writeCanonical(buf, v)
	for _, s := range extra {
		buf.WriteByte(0)
		buf.WriteString(s)
	}
	return sha256.Sum256(buf.Bytes())
}

// canonicalBuffers keeps Fingerprint's buffers: every request is fingerprinted.
var canonicalBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func writeCanonical(buf *bytes.Buffer, v any) {
	switch t := v.(type) {
	case map[string]any:
		var scratch [16]string
		keys := appendSortedKeys(scratch[:0], t)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(appendGoQuoted(buf.AvailableBuffer(), k))
			buf.WriteByte(':')
			writeCanonical(buf, t[k])
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeCanonical(buf, e)
		}
		buf.WriteByte(']')
	case json.Number:
		if f, err := t.Float64(); err == nil {
			buf.Write(strconv.AppendFloat(buf.AvailableBuffer(), f, 'g', -1, 64))
		} else {
			buf.WriteString(string(t))
		}
	case float64:
		buf.Write(strconv.AppendFloat(buf.AvailableBuffer(), t, 'g', -1, 64))
	case string:
		buf.Write(appendGoQuoted(buf.AvailableBuffer(), t))
	case bool:
		buf.WriteString(strconv.FormatBool(t))
	case nil:
		buf.WriteString("null")
	default:
		b, _ := json.Marshal(t)
		buf.Write(b)
	}
}

// appendGoQuoted is strconv.AppendQuote, the canonical form's quoting (stored request hashes
// depend on it), with the common case done directly: printable ASCII without '"' or '\\' goes
// between quotes as it is.
func appendGoQuoted(buf []byte, s string) []byte {
	if !plainASCII(s) {
		return strconv.AppendQuote(buf, s)
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
