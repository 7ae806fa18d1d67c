package schema

import (
	"regexp"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestNoControlCharsMatchesTheRegexp compares the scan with Go's regexp for the pattern on
// every rune alone and between text, and on invalid UTF-8 around control characters.
func TestNoControlCharsMatchesTheRegexp(t *testing.T) {
	re := regexp.MustCompile(noControlPattern)
	var m noControlChars
	check := func(s string) {
		t.Helper()
		if got, want := m.MatchString(s), re.MatchString(s); got != want {
			t.Fatalf("MatchString(%q) = %v, regexp says %v", s, got, want)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r > 0x3000 && r%97 != 0 { // every rune of the first blocks, a sample beyond
			continue
		}
		s := string(r)
		check(s)
		check("id-" + s + "-7")
	}
	for _, s := range []string{"", "plain-id", "\xff", "\xc2", "\xc2\x85", "\xe0\xc2\x85", "a\xc2\x9f", "a\xc2\xa0",
		"\xed\xa0\x80", "\x7f", "tab\tinside", "\u2028", "\xf4\x90\x80\x80"} {
		check(s)
	}
	if !utf8.ValidString("\u0085") || m.MatchString("\u0085") {
		t.Fatal("U+0085 (NEL) is a control character")
	}
}

// TestIdentifierPatternIsChecked: an id with a control character is still refused through the
// compiled schema, with the pattern's own message.
func TestIdentifierPatternIsChecked(t *testing.T) {
	v, err := NewValidator("ConsumerUserEvent")
	if err != nil {
		t.Fatal(err)
	}
	doc := Object{"userId": "u\u0007", "timestamp": 1700000000000.0}
	problems := v.Validate("ConsumerUserEvent", doc, Full, "")
	if len(problems) != 1 || problems[0].Path != "userId" {
		t.Fatalf("problems = %+v, want one for userId", problems)
	}
	if p := v.Validate("ConsumerUserEvent", Object{"userId": "u\u00a0", "timestamp": 1700000000000.0}, Full, ""); p != nil {
		t.Fatalf("a no-break space is not a control character: %+v", p)
	}
}
