package vigil

import (
	"encoding/json"
	"sync"

	"github.com/vigil-aml/vigil/internal/rules"
)

// RuleFailures are the evaluation failures of one rule (of its current version, through this
// API) since this process started, shown on
// GET /rules/{ruleInstanceId} and GET /rules as the rule's "failures". They are kept in memory,
// per process: a rule fails again on the next write it cannot evaluate, so they need no storage.
type RuleFailures struct {
	Count int64 `json:"count"`
	// LastFailedAt is the last failure's time in epoch milliseconds; LastReason is "time",
	// "memory" or "error", and LastError what went wrong.
	LastFailedAt int64  `json:"lastFailedAt"`
	LastReason   string `json:"lastReason"`
	LastError    string `json:"lastError"`
}

// ruleFailures counts failures by tenant id and rule instance id: bounded by the tenants'
// rules (the rule limit).
type ruleFailures struct {
	mu       sync.Mutex
	byTenant map[string]map[string]*RuleFailures
}

// maxErrorText bounds the error text kept and shown for a failure.
const maxErrorText = 300

func (f *ruleFailures) record(tenantID string, failure rules.Failure, at int64) {
	text := failure.Err.Error()
	if len(text) > maxErrorText {
		text = text[:maxErrorText] + "…"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byTenant == nil {
		f.byTenant = map[string]map[string]*RuleFailures{}
	}
	byRule := f.byTenant[tenantID]
	if byRule == nil {
		byRule = map[string]*RuleFailures{}
		f.byTenant[tenantID] = byRule
	}
	s := byRule[failure.RuleInstanceID]
	if s == nil {
		s = &RuleFailures{}
		byRule[failure.RuleInstanceID] = s
	}
	s.Count++
	s.LastFailedAt, s.LastReason, s.LastError = at, failure.Reason, text
}

// forget drops a rule's failures: it was replaced or deleted.
func (f *ruleFailures) forget(tenantID, ruleInstanceID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.byTenant[tenantID], ruleInstanceID)
}

func (f *ruleFailures) of(tenantID, ruleInstanceID string) (RuleFailures, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.byTenant[tenantID][ruleInstanceID]
	if s == nil {
		return RuleFailures{}, false
	}
	return *s, true
}

// withFailures adds the rule's failures, if it had any, to its stored document.
func (f *ruleFailures) withFailures(tenantID string, rec RuleRecord) json.RawMessage {
	s, ok := f.of(tenantID, rec.RuleInstanceID)
	if !ok {
		return rec.Document
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(rec.Document, &doc); err != nil {
		return rec.Document
	}
	doc["failures"] = mustEncode(s)
	return mustEncode(doc)
}
