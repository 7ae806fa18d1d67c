package schema

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendTree appends a JSON tree (maps, slices, json.Number, strings, booleans, nil) as Encode
// writes it: keys sorted, no HTML escaping. It walks the tree directly, which is several times
// faster than encoding/json's reflection over interfaces; any other value inside the tree goes
// through encoding/json, so the output is the same byte for byte.
func AppendTree(buf []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case map[string]any:
		var scratch [16]string // most objects have fewer keys: no allocation for them
		keys := appendSortedKeys(scratch[:0], t)
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, k)
			buf = append(buf, ':')
			var err error
			if buf, err = AppendTree(buf, t[k]); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case []any:
		return AppendList(buf, t, AppendTree)
	case string:
		return AppendString(buf, t), nil
	case json.Number:
		if t != "" && json.Valid([]byte(t)) {
			return append(buf, t...), nil
		}
	case bool:
		if t {
			return append(buf, "true"...), nil
		}
		return append(buf, "false"...), nil
	case nil:
		return append(buf, "null"...), nil
	}
	b, err := encodeReflect(v)
	return append(buf, b...), err
}

// AppendString appends s quoted as encoding/json quotes it without HTML escaping. Strings that
// need escaping beyond the plain ASCII fast path (control characters, non-ASCII, invalid UTF-8)
// are quoted by encoding/json itself.
func AppendString(buf []byte, s string) []byte {
	if !plainASCII(s) {
		return appendEscaped(buf, s)
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// plainASCII reports whether every byte of s is printable ASCII other than '"' and '\\', so
// that it goes between quotes as it is. It tests eight bytes at a time: replies carry kilobytes
// of rule text. A word that looks suspect is checked byte by byte.
func plainASCII(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		below := (w - 0x20*ones) &^ w // a byte under 0x20 (or a borrow from one)
		above := (w + 0x01*ones) | w  // a byte of 0x7f or more (or a carry from one)
		quote := w ^ '"'*ones         // a zero byte where w has '"'
		slash := w ^ '\\'*ones        // a zero byte where w has '\\'
		zero := (quote-ones)&^quote | (slash-ones)&^slash
		if (below|above|zero)&highs != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// appendEscaped quotes s with encoding/json's escapes (without HTML escaping): '"', '\\' and
// control characters, U+2028 and U+2029, and invalid UTF-8 as U+FFFD. Rule texts and names
// with accents or dashes take this path on every reply.
func appendEscaped(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// encodeReflect encodes any value with encoding/json, without HTML escaping or a newline.
func encodeReflect(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// AppendFloat appends f as encoding/json writes a float64 (f must be finite).
func AppendFloat(buf []byte, f float64) []byte {
	if b, ok := appendCents(buf, f); ok {
		return b
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	buf = strconv.AppendFloat(buf, f, format, -1, 64)
	if format == 'e' {
		// encoding/json writes e-7, not e-07.
		if n := len(buf); n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
	}
	return buf
}

// appendCents writes f when it is a whole number of hundredths below 10^13 (risk scores,
// weights and contributions, 50 of them in every write), with integer arithmetic: it spells
// them as strconv's shortest form does, at a fraction of the cost. A float that n/100 rounds to
// is the one strconv parses from n's decimal spelling, and no shorter spelling parses to it.
// Other values, and negative zero, report false.
func appendCents(buf []byte, f float64) ([]byte, bool) {
	const limit = 1e13
	if !(f > -limit && f < limit) || f == 0 && math.Signbit(f) {
		return buf, false
	}
	cents := math.Round(f * 100)
	if cents/100 != f {
		return buf, false
	}
	n := int64(cents)
	if n < 0 {
		buf = append(buf, '-')
		n = -n
	}
	buf = strconv.AppendInt(buf, n/100, 10)
	if frac := n % 100; frac != 0 {
		buf = append(buf, '.', byte('0'+frac/10))
		if frac%10 != 0 {
			buf = append(buf, byte('0'+frac%10))
		}
	}
	return buf, true
}

// AppendStrings appends a string list as encoding/json does (nil is null).
func AppendStrings(buf []byte, list []string) []byte {
	buf, _ = AppendList(buf, list, func(b []byte, s string) ([]byte, error) { return AppendString(b, s), nil })
	return buf
}

// AppendList appends a list as encoding/json does (nil is null), each item by appendItem; it
// stops at appendItem's first error.
func AppendList[T any](buf []byte, list []T, appendItem func([]byte, T) ([]byte, error)) ([]byte, error) {
	if list == nil {
		return append(buf, "null"...), nil
	}
	buf = append(buf, '[')
	for i, item := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendItem(buf, item); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

// appendSortedKeys appends an object's keys to keys in the order encoding/json writes them.
func appendSortedKeys(keys []string, o map[string]any) []string {
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// AppendInt appends an integer.
func AppendInt(buf []byte, n int64) []byte { return strconv.AppendInt(buf, n, 10) }
