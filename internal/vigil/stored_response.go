package vigil

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/schema"
)

// A write's first response is stored with its history entry, to be replayed for a retry and to
// answer later reads. Most of it is the executed rules' text (name, description, labels: about
// 5 KB of a 6 KB event response with the default library), which is the same for every write a
// rule version judges. So a response is stored compact when it can be: the part before the
// evaluation as sent, then what this evaluation found, and the text comes back from the rule
// versions (a version never changes): the expanded response is the original byte for byte. A
// response that does not fit that shape is stored whole.
//
// The executed rules' versions and actions are the same for most writes of a tenant too (a
// kilobyte with the default library): they are a rule list, stored once per tenant under a key
// made from its content (rule_lists.go), which the compact form names.
//
// Compact form: compactMarker (or listMarker), the response's leading JSON object (the profile
// of an event, the userId of a create), a zero byte (never in JSON text), then a
// compactEvaluation as JSON: with compactMarker every rule is in Rules, with listMarker List
// names them and Rules holds only those that hit or have vars, by their place in the list.
const (
	compactMarker = 0x01
	listMarker    = 0x02
)

// compactEvaluation is an Evaluation without the rules' identities.
type compactEvaluation struct {
	// ExecutedAt and RiskLevel are the same for every rule of one evaluation.
	ExecutedAt int64         `json:"t"`
	RiskLevel  string        `json:"l"`
	Rules      []compactRule `json:"r"`
	// List is the key of the executed rules' list (listMarker's form).
	List   string        `json:"k,omitempty"`
	Risk   *risk.Details `json:"d,omitempty"`
	Status string        `json:"s"`
}

// compactRule is one executed rule; hitRules are the hit ones, in order. In a rule list it has
// only its version and action; in the listMarker form's Rules only its Index in the list and
// what it found.
type compactRule struct {
	InstanceID string       `json:"i,omitempty"`
	VersionID  string       `json:"v,omitempty"`
	Action     string       `json:"a,omitempty"`
	Index      int          `json:"n,omitempty"`
	Hit        bool         `json:"h,omitempty"`
	Vars       []rules.Vars `json:"x,omitempty"`
}

// identityKey names a rule version of a tenant.
type identityKey struct {
	tenantID string
	version  rules.Version
}

// ruleIdentities caches rule identities by version; a version never changes, so an entry never
// goes stale.
type ruleIdentities struct{ m sync.Map }

func (c *ruleIdentities) remember(tenantID string, ids map[rules.Version]rules.Identity) {
	for v, id := range ids {
		c.m.Store(identityKey{tenantID, v}, id)
	}
}

// storedResponse returns the bytes to store for a response made of doc (a JSON object) with the
// evaluation's fields after it, and the rule list they name, if they do.
func storedResponse(doc []byte, out evaluated, ids map[rules.Version]rules.Identity) ([]byte, ruleList) {
	if b, list, ok := compactResponse(doc, out.evaluation, ids); ok {
		return b, list
	}
	return out.withEvaluation(doc), ruleList{}
}

// compactResponse encodes the compact form, or reports false when the evaluation does not have
// the shape its expansion rebuilds: every rule a known version carrying that version's identity,
// one time and level for all, and hitRules exactly the hit results in order.
func compactResponse(doc []byte, ev Evaluation, ids map[rules.Version]rules.Identity) ([]byte, ruleList, bool) {
	if len(doc) < 2 || doc[0] != '{' || ev.ExecutedRules == nil || ev.HitRules == nil {
		return nil, ruleList{}, false
	}
	var at int64
	var level string
	if len(ev.ExecutedRules) > 0 {
		at, level = ev.ExecutedRules[0].ExecutedAt, ev.ExecutedRules[0].ExecutedRiskLevel
	}
	list := make([]byte, 0, 64*len(ev.ExecutedRules)+2)
	list = append(list, '[')
	found := make([]byte, 0, 256)
	hits := 0
	for i, r := range ev.ExecutedRules {
		id, known := ids[rules.Version{InstanceID: r.RuleInstanceID, VersionID: r.VersionID}]
		if !known || !id.Of(r) || r.IsShadow || r.RuleHitMeta != nil || r.ExecutedAt != at || r.ExecutedRiskLevel != level {
			return nil, ruleList{}, false
		}
		if r.RuleHit {
			if hits == len(ev.HitRules) || !rules.SameHit(ev.HitRules[hits], r.AsHit()) {
				return nil, ruleList{}, false
			}
			hits++
		}
		if i > 0 {
			list = append(list, ',')
		}
		list = append(list, `{"i":`...)
		list = schema.AppendString(list, r.RuleInstanceID)
		list = append(list, `,"v":`...)
		list = schema.AppendString(list, r.VersionID)
		list = append(list, `,"a":`...)
		list = schema.AppendString(list, r.RuleAction)
		list = append(list, '}')
		if !r.RuleHit && len(r.Vars) == 0 {
			continue
		}
		if len(found) > 0 {
			found = append(found, ',')
		}
		found = append(found, `{"n":`...)
		found = schema.AppendInt(found, int64(i))
		if r.RuleHit {
			found = append(found, `,"h":true`...)
		}
		if len(r.Vars) > 0 {
			found = append(found, `,"x":`...)
			var err error
			if found, err = rules.AppendVars(found, r.Vars); err != nil {
				return nil, ruleList{}, false
			}
		}
		found = append(found, '}')
	}
	if hits != len(ev.HitRules) {
		return nil, ruleList{}, false
	}
	list = append(list, ']')
	named := newRuleList(list)
	b := make([]byte, 0, len(doc)+len(found)+256)
	b = append(b, listMarker)
	b = append(b, doc...)
	b = append(b, 0)
	b = append(b, `{"t":`...)
	b = schema.AppendInt(b, at)
	b = append(b, `,"l":`...)
	b = schema.AppendString(b, level)
	b = append(b, `,"k":`...)
	b = schema.AppendString(b, named.key)
	b = append(b, `,"r":[`...)
	b = append(b, found...)
	b = append(b, ']')
	if ev.RiskScoreDetails != nil {
		b = append(b, `,"d":`...)
		b = ev.RiskScoreDetails.AppendJSON(b)
	}
	b = append(b, `,"s":`...)
	b = schema.AppendString(b, ev.Status)
	return append(b, '}'), named, true
}

// expandResponse returns the response a stored one stands for (a response stored whole is
// returned as it is).
func (s *Service) expandResponse(ctx context.Context, tenantID string, stored []byte) ([]byte, error) {
	if len(stored) == 0 || (stored[0] != compactMarker && stored[0] != listMarker) {
		return stored, nil
	}
	end := bytes.IndexByte(stored, 0)
	if end < 0 {
		return nil, fmt.Errorf("stored response: compact form without its evaluation")
	}
	var c compactEvaluation
	if err := json.Unmarshal(stored[end+1:], &c); err != nil {
		return nil, fmt.Errorf("stored response: %w", err)
	}
	if stored[0] == listMarker {
		executed, err := s.listedRules(ctx, tenantID, c.List, c.Rules)
		if err != nil {
			return nil, err
		}
		c.Rules = executed
	}
	ev := Evaluation{ExecutedRules: make([]rules.Result, 0, len(c.Rules)), HitRules: []rules.Hit{},
		RiskScoreDetails: c.Risk, Status: c.Status}
	for _, r := range c.Rules {
		id, err := s.ruleIdentity(ctx, tenantID, rules.Version{InstanceID: r.InstanceID, VersionID: r.VersionID})
		if err != nil {
			return nil, err
		}
		res := id.Result(r.InstanceID, r.VersionID, r.Action, r.Hit, c.ExecutedAt, c.RiskLevel, r.Vars)
		ev.ExecutedRules = append(ev.ExecutedRules, res)
		if r.Hit {
			ev.HitRules = append(ev.HitRules, res.AsHit())
		}
	}
	evJSON, err := ev.appendJSON(make([]byte, 0, 4096), nil)
	if err != nil {
		return nil, fmt.Errorf("stored response: %w", err)
	}
	return withFields(stored[1:end], evJSON), nil
}

// ruleIdentity returns the identity of a rule version, reading the rule's stored versions the
// first time it is asked for.
func (s *Service) ruleIdentity(ctx context.Context, tenantID string, v rules.Version) (rules.Identity, error) {
	key := identityKey{tenantID, v}
	if id, ok := s.identities.m.Load(key); ok {
		return id.(rules.Identity), nil
	}
	recs, err := s.store.RuleVersions(ctx, tenantID, v.InstanceID)
	if err != nil {
		return rules.Identity{}, err
	}
	found := map[rules.Version]rules.Identity{}
	for _, rec := range recs {
		if rec.Document == nil {
			continue // a deletion
		}
		var r rules.Rule
		if err := json.Unmarshal(rec.Document, &r); err != nil {
			return rules.Identity{}, fmt.Errorf("stored rule %s version %s: %w", rec.RuleInstanceID, rec.VersionID, err)
		}
		found[rules.Version{InstanceID: v.InstanceID, VersionID: rec.VersionID}] = rules.IdentityOf(r)
	}
	s.identities.remember(tenantID, found)
	id, ok := found[v]
	if !ok {
		return rules.Identity{}, fmt.Errorf("stored response names rule %s version %s, which is not stored", v.InstanceID, v.VersionID)
	}
	return id, nil
}
