package schema

import "strings"

// Invalid is the one error for inputs that are wrong, whatever checked them (the wire schema, a
// rule, a risk model): every problem found, each with its path when it has one. The domain turns
// it into a 400 that lists them all.
type Invalid struct {
	// What names what was checked ("rule", "risk model"), for Error's text.
	What     string
	Problems []Problem
}

func (e *Invalid) Error() string { return "invalid " + e.What + ": " + strings.Join(e.Strings(), "; ") }

// Strings renders every problem as "path: reason".
func (e *Invalid) Strings() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.String()
	}
	return out
}

// Reasons makes problems of reasons that carry their place in their text (or have none).
func Reasons(reasons ...string) []Problem {
	out := make([]Problem, len(reasons))
	for i, r := range reasons {
		out[i] = Problem{Reason: r}
	}
	return out
}
