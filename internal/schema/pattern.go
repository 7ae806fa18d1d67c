package schema

import (
	"regexp"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// noControlPattern is the Identifier's pattern: no character of Unicode's Cc category. Every id
// of every request is checked against it.
const noControlPattern = `^[^\p{Cc}]*$`

// compilePattern is the schema compiler's regexp engine: Go's regexp, except for
// noControlPattern, which is a scan for a control character. Go's regexp machine took a quarter
// of an event envelope's check for that answer.
func compilePattern(expr string) (jsonschema.Regexp, error) {
	if expr == noControlPattern {
		return noControlChars{}, nil
	}
	return regexp.Compile(expr)
}

// noControlChars matches noControlPattern.
type noControlChars struct{}

func (noControlChars) String() string { return noControlPattern }

// MatchString reports whether s has no rune in U+0000-U+001F or U+007F-U+009F (Cc). Like the
// regexp, it reads invalid UTF-8 as U+FFFD, which is not one.
func (noControlChars) MatchString(s string) bool {
	for _, r := range s {
		if r < 0x20 || 0x7f <= r && r <= 0x9f {
			return false
		}
	}
	return true
}
