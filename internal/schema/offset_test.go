package schema

import (
	"errors"
	"strings"
	"testing"
)

// TestMalformedBodiesNameTheByteOffset: every malformed body's reason carries the byte offset
// (docs/decisions.md promises it), a truncated one included.
func TestMalformedBodiesNameTheByteOffset(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"userId":"u-1","createdTimestamp":17`, "malformed JSON at byte 37: unexpected end of input"},
		{`{"userId":"u-1"`, "malformed JSON at byte 15: unexpected end of input"},
		{`{"a":[1,2`, "malformed JSON at byte 9: unexpected end of input"},
		{`{"userId":"u-1",x}`, "malformed JSON at byte 16"},
		{`{"a":1} {"b":2}`, "malformed JSON at byte 7: unexpected data after the top-level value"},
	} {
		_, err := DecodeObject([]byte(tc.body))
		var de *DecodeError
		if !errors.As(err, &de) || !strings.HasPrefix(de.Reason, tc.want) {
			t.Errorf("%s: %v, want %q", tc.body, err, tc.want)
		}
	}
}
