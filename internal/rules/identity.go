package rules

import (
	"bytes"
	"slices"
)

// Identity is what every result of one rule version says about the rule itself, as opposed to
// what one evaluation found (hit, action at the user's level, vars, time). A stored evaluation
// can keep only the latter and the version, and take the identity from the rule version.
type Identity struct {
	RuleID      string
	Name        string
	Description string
	Labels      []string // never nil: results always carry labels
	Nature      string
}

// IdentityOf returns the identity that the results of rule r carry.
func IdentityOf(r Rule) Identity {
	labels := r.Labels
	if labels == nil {
		labels = []string{}
	}
	return Identity{RuleID: r.ID, Name: r.Name, Description: r.Description, Labels: labels, Nature: r.Nature}
}

// Version names one version of one rule.
type Version struct {
	InstanceID string
	VersionID  string
}

// Identities returns the identity of every rule of the set by version (rules without a version
// id are left out).
func (s *Set) Identities() map[Version]Identity {
	out := make(map[Version]Identity, len(s.rules))
	for _, r := range s.rules {
		if r.VersionID != "" {
			out[Version{r.InstanceID, r.VersionID}] = IdentityOf(r.Rule)
		}
	}
	return out
}

// Of reports whether result r carries identity id.
func (id Identity) Of(r Result) bool {
	return r.RuleID == id.RuleID && r.RuleName == id.Name && r.RuleDescription == id.Description &&
		r.Nature == id.Nature && r.Labels != nil && slices.Equal(r.Labels, id.Labels)
}

// AsHit returns the hit that a hit result is reported as in hitRules.
func (r Result) AsHit() Hit {
	return Hit{RuleID: r.RuleID, RuleInstanceID: r.RuleInstanceID, RuleName: r.RuleName, RuleDescription: r.RuleDescription,
		RuleAction: r.RuleAction, VersionID: r.VersionID, ExecutedAt: r.ExecutedAt, ExecutedRiskLevel: r.ExecutedRiskLevel,
		RuleHitMeta: r.RuleHitMeta, Labels: r.Labels, Nature: r.Nature, IsShadow: r.IsShadow}
}

// SameHit reports whether two hits are equal.
func SameHit(a, b Hit) bool {
	return a.RuleID == b.RuleID && a.RuleInstanceID == b.RuleInstanceID && a.RuleName == b.RuleName &&
		a.RuleDescription == b.RuleDescription && a.RuleAction == b.RuleAction && a.VersionID == b.VersionID &&
		a.ExecutedAt == b.ExecutedAt && a.ExecutedRiskLevel == b.ExecutedRiskLevel && a.Nature == b.Nature &&
		a.IsShadow == b.IsShadow && bytes.Equal(a.RuleHitMeta, b.RuleHitMeta) && (a.Labels == nil) == (b.Labels == nil) && slices.Equal(a.Labels, b.Labels)
}

// Result returns a result of this rule: its identity with the evaluation's own fields.
func (id Identity) Result(instanceID, versionID, action string, hit bool, executedAt int64, level string, vars []Vars) Result {
	return Result{RuleID: id.RuleID, RuleInstanceID: instanceID, RuleName: id.Name, RuleDescription: id.Description,
		RuleAction: action, RuleHit: hit, VersionID: versionID, ExecutedAt: executedAt, ExecutedRiskLevel: level,
		Vars: vars, Labels: id.Labels, Nature: id.Nature}
}
