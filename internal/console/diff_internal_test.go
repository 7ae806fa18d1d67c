package console

import (
	"strings"
	"testing"
)

func TestLineDiff(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		want       string // each line as op + text, joined by |
	}{
		{"same", "a\nb", "a\nb", " a| b"},
		{"empty to text", "", "a\nb", "+a|+b"},
		{"text to empty", "a", "", "-a"},
		{"one line changed", "a\nb\nc", "a\nB\nc", " a|-b|+B| c"},
		{"added in the middle", "a\nc", "a\nb\nc", " a|+b| c"},
		{"removed at the end", "a\nb\nc", "a\nb", " a| b|-c"},
		{"moved line", "a\nb\nc\nd", "b\nc\na\nd", "-a| b| c|+a| d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, l := range lineDiff(tc.a, tc.b) {
				got = append(got, l.Op+l.Text)
			}
			if g := strings.Join(got, "|"); g != tc.want {
				t.Errorf("lineDiff = %q, want %q", g, tc.want)
			}
		})
	}
}
