package rules

import (
	"slices"

	"github.com/vigil-aml/vigil/internal/schema"
)

// AppendJSON appends the result as encoding/json encodes it (without HTML escaping), without
// reflection: every write encodes one per rule. The error is encoding/json's for a vars value
// it cannot encode.
func (r Result) AppendJSON(b []byte) ([]byte, error) {
	return r.appendJSON(b, nil)
}

// AppendResult is r.AppendJSON, with the text of r's rule (ids, name, description) copied from
// its encoding at compile time when r still carries that text. s may be nil.
func (s *Set) AppendResult(b []byte, r Result) ([]byte, error) {
	return r.appendJSON(b, s.head(r.RuleID, r.RuleInstanceID, r.RuleName, r.RuleDescription))
}

// AppendHit is h.AppendJSON, as AppendResult is for a result.
func (s *Set) AppendHit(b []byte, h Hit) []byte {
	return h.appendJSON(b, s.head(h.RuleID, h.RuleInstanceID, h.RuleName, h.RuleDescription))
}

// head returns the encoded head of the rule with these ids and text, nil when the set has no such
// rule or the text differs from the compiled rule's.
func (s *Set) head(ruleID, instanceID, name, description string) []byte {
	if s == nil {
		return nil
	}
	i, ok := s.byInstance[instanceID]
	if !ok {
		return nil
	}
	// Results made by Evaluate share the rule's strings, so these compare in constant time.
	if r := &s.rules[i]; r.ID == ruleID && r.Name == name && r.Description == description {
		return r.head
	}
	return nil
}

func (r Result) appendJSON(b, head []byte) ([]byte, error) {
	b = appendCommon(b, head, r.RuleID, r.RuleInstanceID, r.RuleName, r.RuleDescription, r.RuleAction)
	b = append(b, `,"ruleHit":`...)
	b = appendBool(b, r.RuleHit)
	b = appendExecution(b, r.VersionID, r.ExecutedAt, r.ExecutedRiskLevel)
	b = appendMeta(b, r.RuleHitMeta)
	if len(r.Vars) > 0 {
		b = append(b, `,"vars":`...)
		var err error
		if b, err = AppendVars(b, r.Vars); err != nil {
			return nil, err
		}
	}
	return appendTail(b, r.Labels, r.Nature, r.IsShadow), nil
}

// AppendVars appends a result's vars as encoding/json encodes them (without HTML escaping).
func AppendVars(b []byte, vars []Vars) ([]byte, error) {
	return schema.AppendList(b, vars, func(b []byte, v Vars) ([]byte, error) {
		b = append(b, `{"value":`...)
		if v.Value == nil {
			b = append(b, "null"...)
		} else {
			var err error
			if b, err = schema.AppendTree(b, v.Value); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	})
}

// AppendJSON appends the hit as encoding/json encodes it (without HTML escaping).
func (h Hit) AppendJSON(b []byte) []byte { return h.appendJSON(b, nil) }

func (h Hit) appendJSON(b, head []byte) []byte {
	b = appendCommon(b, head, h.RuleID, h.RuleInstanceID, h.RuleName, h.RuleDescription, h.RuleAction)
	b = appendExecution(b, h.VersionID, h.ExecutedAt, h.ExecutedRiskLevel)
	b = appendMeta(b, h.RuleHitMeta)
	return appendTail(b, h.Labels, h.Nature, h.IsShadow)
}

// appendCommon opens a result or hit with the fields both start with: head when it is set (the
// same bytes, encoded once), then the action.
func appendCommon(b, head []byte, ruleID, instanceID, name, description, action string) []byte {
	if head != nil {
		b = append(b, head...)
	} else {
		b = appendHead(b, ruleID, instanceID, name, description)
	}
	b = append(b, `,"ruleAction":`...)
	return schema.AppendString(b, action)
}

// appendHead appends a result's or hit's opening up to its description.
func appendHead(b []byte, ruleID, instanceID, name, description string) []byte {
	b = append(b, '{')
	if ruleID != "" {
		b = append(b, `"ruleId":`...)
		b = schema.AppendString(b, ruleID)
		b = append(b, ',')
	}
	b = append(b, `"ruleInstanceId":`...)
	b = schema.AppendString(b, instanceID)
	b = append(b, `,"ruleName":`...)
	b = schema.AppendString(b, name)
	b = append(b, `,"ruleDescription":`...)
	return schema.AppendString(b, description)
}

func appendExecution(b []byte, versionID string, executedAt int64, riskLevel string) []byte {
	if versionID != "" {
		b = append(b, `,"versionId":`...)
		b = schema.AppendString(b, versionID)
	}
	b = append(b, `,"executedAt":`...)
	b = schema.AppendInt(b, executedAt)
	b = append(b, `,"executedRiskLevel":`...)
	return schema.AppendString(b, riskLevel)
}

// appendMeta appends a ruleHitMeta when there is one; it is compact JSON already.
func appendMeta(b, meta []byte) []byte {
	if len(meta) == 0 {
		return b
	}
	b = append(b, `,"ruleHitMeta":`...)
	return append(b, meta...)
}

func appendTail(b []byte, labels []string, nature string, shadow bool) []byte {
	b = append(b, `,"labels":`...)
	b = schema.AppendStrings(b, labels)
	if nature != "" {
		b = append(b, `,"nature":`...)
		b = schema.AppendString(b, nature)
	}
	if shadow {
		b = append(b, `,"isShadow":true`...)
	}
	return append(b, '}')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// AppendJSON appends the aggregates as encoding/json encodes them: every write stores them.
func (a Aggregates) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	sep := func() {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
	}
	if len(a.Changes) > 0 {
		b = append(b, `"changes":{`...)
		keys := make([]string, 0, len(a.Changes))
		for k := range a.Changes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = schema.AppendString(b, k)
			b = append(b, ':')
			b = appendInts(b, a.Changes[k])
		}
		b = append(b, '}')
	}
	if a.StateChangedAt != 0 {
		sep()
		b = append(b, `"stateChangedAt":`...)
		b = schema.AppendInt(b, a.StateChangedAt)
	}
	if len(a.KYCFailures) > 0 {
		sep()
		b = append(b, `"kycFailures":`...)
		b = appendInts(b, a.KYCFailures)
	}
	return append(b, '}')
}

// appendInts appends a list of integers (nil is null).
func appendInts(b []byte, list []int64) []byte {
	b, _ = schema.AppendList(b, list, func(b []byte, n int64) ([]byte, error) { return schema.AppendInt(b, n), nil })
	return b
}

// AppendResults appends results as encoding/json encodes them (nil is null).
func AppendResults(b []byte, results []Result) ([]byte, error) {
	return schema.AppendList(b, results, func(b []byte, r Result) ([]byte, error) { return r.AppendJSON(b) })
}
