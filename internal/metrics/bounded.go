package metrics

import "sync"

// MaxRuleFailureSeries bounds the (tenant, rule) pairs vigil_rule_failures_total keeps a series
// for. Tenants name their rules, and operators their tenants, without limit: past the bound, a
// new pair is counted under OtherLabel for both labels, so the series count stays flat.
const MaxRuleFailureSeries = 1000

// OtherLabel is the label value of everything past a bound.
const OtherLabel = "_other"

// boundedPairs admits label value pairs up to a bound and maps every later new pair to
// (OtherLabel, OtherLabel).
type boundedPairs struct {
	mu   sync.Mutex
	max  int
	seen map[[2]string]struct{}
}

func newBoundedPairs(max int) *boundedPairs {
	return &boundedPairs{max: max, seen: map[[2]string]struct{}{}}
}

// admit returns the pair's own values if it has a series or there is room for one.
func (b *boundedPairs) admit(a, c string) (string, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := [2]string{a, c}
	if _, ok := b.seen[key]; ok {
		return a, c
	}
	if len(b.seen) >= b.max {
		return OtherLabel, OtherLabel
	}
	b.seen[key] = struct{}{}
	return a, c
}
