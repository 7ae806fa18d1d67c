// Package rules evaluates user rules: a default library that every new tenant starts with, and
// tenant rules written as expressions (expr-lang/expr) over the user after a write, the previous
// profile, the event, parameters that may differ by the user's CRA level, and aggregates of the
// user's history. Rules are data; everything here is a pure function of its inputs.
package rules

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigil-aml/vigil/internal/schema"
)

// Rule is one rule instance as a tenant configures it.
type Rule struct {
	// ID is the rule (template) id, e.g. "R-U1" for a library rule or "RC-1" for a custom one.
	ID string `json:"ruleId"`
	// InstanceID identifies this configured instance (a template may have several).
	InstanceID  string   `json:"ruleInstanceId"`
	Name        string   `json:"ruleName"`
	Description string   `json:"ruleDescription"`
	Action      string   `json:"ruleAction"`
	Nature      string   `json:"nature,omitempty"`
	Labels      []string `json:"labels,omitempty"`
	// UserTypes limits the rule to CONSUMER or BUSINESS users; empty means both.
	UserTypes []string `json:"userTypes,omitempty"`
	// Stages limits the rule to INITIAL (creates) or UPDATE (updates and events); empty means both.
	Stages []string `json:"stages,omitempty"`
	// Expression must evaluate to a boolean: true is a hit.
	Expression string         `json:"expression"`
	Parameters map[string]any `json:"parameters,omitempty"`
	// RiskLevelParameters and RiskLevelActions replace Parameters and Action for users at a CRA
	// level (users without one count as VERY_HIGH).
	RiskLevelParameters map[string]map[string]any `json:"riskLevelParameters,omitempty"`
	RiskLevelActions    map[string]string         `json:"riskLevelActions,omitempty"`
	// Shadow rules are evaluated and stored but left out of responses, status and risk.
	Shadow bool `json:"isShadow,omitempty"`
	// Enabled is true unless set to false.
	Enabled       *bool     `json:"enabled,omitempty"`
	TriggersOnHit *Triggers `json:"triggersOnHit,omitempty"`
	// VersionID changes with every change of the rule; the server sets it.
	VersionID string `json:"versionId,omitempty"`
	// Failures is the server's count of the rule's evaluation failures, shown when the rule is
	// read; it is accepted and ignored on input, so a rule read can be written back.
	Failures json.RawMessage `json:"failures,omitempty"`
}

// Triggers are changes a hit makes to the user, applied as a system entry of its history.
type Triggers struct {
	UserStateDetails *StateChange `json:"userStateDetails,omitempty"`
	KYCStatusDetails *KYCChange   `json:"kycStatusDetails,omitempty"`
	Tags             []Tag        `json:"tags,omitempty"`
}

// StateChange sets the user's state.
type StateChange struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// KYCChange sets the user's KYC status.
type KYCChange struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Tag is a key-value tag added to the user.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// IsEnabled reports whether the rule runs.
func (r Rule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

var (
	actions     = map[string]bool{"ALLOW": true, "FLAG": true, "SUSPEND": true, "BLOCK": true}
	natures     = map[string]bool{"AML": true, "FRAUD": true, "CTF": true, "SCREENING": true}
	riskLevels  = []string{"VERY_LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH"}
	userTypes   = map[string]bool{"CONSUMER": true, "BUSINESS": true}
	stages      = map[string]bool{"INITIAL": true, "UPDATE": true}
	userStates  = map[string]bool{"UNACCEPTABLE": true, "TERMINATED": true, "ACTIVE": true, "DORMANT": true, "CREATED": true, "SUSPENDED": true, "BLOCKED": true}
	kycStatuses = map[string]bool{"SUCCESSFUL": true, "FAILED": true, "NOT_STARTED": true, "IN_PROGRESS": true, "EXPIRED": true, "NEW": true, "CANCELLED": true, "MANUAL_REVIEW": true, "EDD_IN_PROGRESS": true}
	labelSet    = map[string]bool{"UNEXPECTED_BEHAVIOR": true, "ILLICIT_GAINS_CHECK": true, "RFI_TRIGGER": true, "EDD_TRIGGER": true, "KYC_TRIGGER": true, "SCAM": true, "ABUSE": true, "ACCOUNT_TAKEOVER": true, "DISPUTE": true, "SANCTIONS": true, "SANCTIONS_PEP": true, "SANCTIONS_PEP_ADVERSE_MEDIA": true, "SANCTIONS_MANUAL_REVIEW": true}
)

// invalid is the error of a rule or rule document with problems.
func invalid(problems ...string) *schema.Invalid {
	return &schema.Invalid{What: "rule", Problems: schema.Reasons(problems...)}
}

// check lists the problems of a rule's fields (not its expression).
func (r Rule) check() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if r.InstanceID == "" {
		add("ruleInstanceId: is required")
	} else if len(r.InstanceID) > 128 || strings.ContainsAny(r.InstanceID, "/?#%\x00") {
		add("ruleInstanceId: must be at most 128 characters without / ? # %%")
	}
	if r.ID == "" {
		add("ruleId: is required")
	}
	if r.Name == "" {
		add("ruleName: is required")
	}
	if r.Description == "" {
		add("ruleDescription: is required")
	}
	if !actions[r.Action] {
		add("ruleAction: %q is not one of ALLOW, FLAG, SUSPEND, BLOCK", r.Action)
	}
	if r.Nature != "" && !natures[r.Nature] {
		add("nature: %q is not one of AML, FRAUD, CTF, SCREENING", r.Nature)
	}
	for i, l := range r.Labels {
		if !labelSet[l] {
			add("labels[%d]: %q is not a RuleLabels value", i, l)
		}
	}
	for i, t := range r.UserTypes {
		if !userTypes[t] {
			add("userTypes[%d]: %q is not one of CONSUMER, BUSINESS", i, t)
		}
	}
	for i, s := range r.Stages {
		if !stages[s] {
			add("stages[%d]: %q is not one of INITIAL, UPDATE", i, s)
		}
	}
	if strings.TrimSpace(r.Expression) == "" {
		add("expression: is required")
	}
	for level, a := range r.RiskLevelActions {
		if !isLevel(level) {
			add("riskLevelActions.%s: not a risk level", level)
		}
		if !actions[a] {
			add("riskLevelActions.%s: %q is not one of ALLOW, FLAG, SUSPEND, BLOCK", level, a)
		}
	}
	for level := range r.RiskLevelParameters {
		if !isLevel(level) {
			add("riskLevelParameters.%s: not a risk level", level)
		}
	}
	if t := r.TriggersOnHit; t != nil {
		if t.UserStateDetails != nil && !userStates[t.UserStateDetails.State] {
			add("triggersOnHit.userStateDetails.state: %q is not a UserState", t.UserStateDetails.State)
		}
		if t.KYCStatusDetails != nil && !kycStatuses[t.KYCStatusDetails.Status] {
			add("triggersOnHit.kycStatusDetails.status: %q is not a KycStatus", t.KYCStatusDetails.Status)
		}
		for i, tag := range t.Tags {
			if tag.Key == "" {
				add("triggersOnHit.tags[%d].key: is required", i)
			}
		}
	}
	return p
}

func isLevel(l string) bool {
	for _, x := range riskLevels {
		if x == l {
			return true
		}
	}
	return false
}

// ParseRules reads rules from JSON or YAML: either a list, or an object with a "rules" list.
// Unknown fields are refused.
func ParseRules(data []byte) ([]Rule, error) {
	js, err := schema.YAMLToJSON(data)
	if err != nil {
		return nil, invalid("not valid JSON or YAML: " + err.Error())
	}
	trimmed := bytes.TrimSpace(js)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var wrapper struct {
			Rules json.RawMessage `json:"rules"`
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&wrapper); err != nil {
			return nil, invalid(err.Error())
		}
		js = wrapper.Rules
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var out []Rule
	if err := dec.Decode(&out); err != nil {
		return nil, invalid(err.Error())
	}
	return out, nil
}

// ParseRule reads one rule from JSON or YAML, refusing unknown fields.
func ParseRule(data []byte) (Rule, error) {
	js, err := schema.YAMLToJSON(data)
	if err != nil {
		return Rule{}, invalid("not valid JSON or YAML: " + err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var r Rule
	if err := dec.Decode(&r); err != nil {
		return Rule{}, invalid(err.Error())
	}
	return r, nil
}

//go:embed library.yaml
var libraryDocument []byte

// LibraryDocument returns the default rule library as shipped (YAML).
func LibraryDocument() []byte { return libraryDocument }

// Library returns the default rules every new tenant starts with.
func Library() []Rule {
	rs, err := ParseRules(libraryDocument)
	if err != nil {
		panic("rules: the default library does not parse: " + err.Error())
	}
	return rs
}
