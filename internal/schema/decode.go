package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// MaxDepth is the deepest nesting of objects and arrays a request body may have.
const MaxDepth = 64

// Object is a decoded JSON object.
type Object = map[string]any

// DecodeError is a body that is not acceptable JSON. Its message is safe to show to a client.
type DecodeError struct {
	Reason string
}

func (e *DecodeError) Error() string { return e.Reason }

// DecodeObject parses data strictly as one JSON object: malformed JSON, trailing data, duplicate
// keys, invalid UTF-8, nesting deeper than MaxDepth and numbers outside float64's range are
// rejected with a *DecodeError.
func DecodeObject(data []byte) (Object, error) {
	v, err := Decode(data)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(Object)
	if !ok {
		return nil, &DecodeError{Reason: "the body must be a JSON object"}
	}
	return obj, nil
}

// Decode parses data strictly as one JSON value; see DecodeObject.
func Decode(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &DecodeError{Reason: "the body is empty; a JSON object is required"}
	}
	dec := decoders.Get().(*jsontext.Decoder)
	defer func() {
		dec.Reset(noInput) // drop data before the decoder waits in the pool
		decoders.Put(dec)
	}()
	// Read from a bytes.Buffer, the decoder uses data in place instead of copying it.
	dec.Reset(bytes.NewBuffer(data), jsontext.AllowDuplicateNames(false), jsontext.AllowInvalidUTF8(false))
	v, err := readValue(dec)
	if err != nil {
		return nil, err
	}
	if end := dec.InputOffset(); func() bool { _, err := dec.ReadToken(); return err != io.EOF }() {
		return nil, &DecodeError{Reason: fmt.Sprintf("malformed JSON at byte %d: unexpected data after the top-level value", end)}
	}
	return v, nil
}

// decoders keeps decoders (and their state) for reuse: every request body is decoded.
var decoders = sync.Pool{New: func() any { return jsontext.NewDecoder(noInput) }}

var noInput = bytes.NewReader(nil)

func readValue(dec *jsontext.Decoder) (any, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, syntaxError(dec, err)
	}
	switch tok.Kind() {
	case '{':
		if dec.StackDepth() > MaxDepth {
			return nil, &DecodeError{Reason: fmt.Sprintf("the body is nested deeper than %d levels", MaxDepth)}
		}
		obj := make(Object)
		for dec.PeekKind() != '}' {
			name, err := dec.ReadToken()
			if err != nil {
				return nil, syntaxError(dec, err)
			}
			key := name.String() // copy now: the next read voids the token
			v, err := readValue(dec)
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, syntaxError(dec, err)
		}
		return obj, nil
	case '[':
		if dec.StackDepth() > MaxDepth {
			return nil, &DecodeError{Reason: fmt.Sprintf("the body is nested deeper than %d levels", MaxDepth)}
		}
		arr := []any{}
		for dec.PeekKind() != ']' {
			v, err := readValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, syntaxError(dec, err)
		}
		return arr, nil
	case '"':
		return tok.String(), nil
	case '0':
		raw := tok.String()
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, &DecodeError{Reason: fmt.Sprintf("the number %s is out of range", truncate(raw, 40))}
		}
		return json.Number(raw), nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'n':
		return nil, nil
	}
	return nil, &DecodeError{Reason: "malformed JSON"}
}

// syntaxError turns a jsontext error into a client-safe reason with the byte offset (for a
// body that ends too soon, its length: where the missing data should have been).
func syntaxError(dec *jsontext.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &DecodeError{Reason: fmt.Sprintf("malformed JSON at byte %d: unexpected end of input", dec.InputOffset())}
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		reason := se.Err.Error()
		if errors.Is(se.Err, jsontext.ErrDuplicateName) {
			reason = "duplicate key"
		} else if errors.Is(se.Err, jsontext.ErrNonStringName) {
			reason = "object keys must be strings"
		}
		ptr := string(se.JSONPointer)
		if ptr != "" {
			return &DecodeError{Reason: fmt.Sprintf("malformed JSON at byte %d (%s): %s", se.ByteOffset, ptr, reason)}
		}
		return &DecodeError{Reason: fmt.Sprintf("malformed JSON at byte %d: %s", se.ByteOffset, reason)}
	}
	return &DecodeError{Reason: "malformed JSON"}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
