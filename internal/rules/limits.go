package rules

import "fmt"

// Limits bound what one tenant may configure: how many rules, and how long an expression. The
// zero value means the defaults.
type Limits struct {
	// MaxRules is the most rules a tenant may have, enabled or not (default DefaultMaxRules).
	MaxRules int
	// MaxExpressionBytes is the longest expression, in bytes (default DefaultMaxExpressionBytes).
	MaxExpressionBytes int
}

// The default limits: the library has 14 rules, each well under 1 KiB.
const (
	DefaultMaxRules           = 200
	DefaultMaxExpressionBytes = 4096
)

// WithDefaults fills the zero fields with the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxRules <= 0 {
		l.MaxRules = DefaultMaxRules
	}
	if l.MaxExpressionBytes <= 0 {
		l.MaxExpressionBytes = DefaultMaxExpressionBytes
	}
	return l
}

// CheckSize reports an expression longer than the limit (prefix names the rule in a list).
func (l Limits) CheckSize(prefix string, r Rule) []string {
	l = l.WithDefaults()
	if n := len(r.Expression); n > l.MaxExpressionBytes {
		return []string{fmt.Sprintf("%sexpression: is %d bytes long, more than the %d allowed", prefix, n, l.MaxExpressionBytes)}
	}
	return nil
}

// CheckCount reports a tenant that would have more rules than the limit.
func (l Limits) CheckCount(n int) []string {
	l = l.WithDefaults()
	if n > l.MaxRules {
		return []string{fmt.Sprintf("rules: the tenant would have %d rules, more than the %d allowed (delete rules first)", n, l.MaxRules)}
	}
	return nil
}
