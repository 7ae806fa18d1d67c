package vigil

import (
	"fmt"
	"time"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/schema"
)

// Evaluation is what the rules and the risk model said about a user after one write. It is
// stored with the write and on the user, and returned on the wire.
type Evaluation struct {
	ExecutedRules    []rules.Result `json:"executedRules"`
	HitRules         []rules.Hit    `json:"hitRules"`
	RiskScoreDetails *risk.Details  `json:"riskScoreDetails,omitempty"`
	// Status is the most severe action among the hit rules, ALLOW when none hit.
	Status string `json:"status"`
}

// actionSeverity orders rule actions: BLOCK > SUSPEND > FLAG > ALLOW.
var actionSeverity = map[string]int{"ALLOW": 0, "FLAG": 1, "SUSPEND": 2, "BLOCK": 3}

// mostSevere returns the most severe action among hits, ALLOW when there is none.
func mostSevere(hits []rules.Hit) string {
	status := "ALLOW"
	for _, h := range hits {
		if actionSeverity[h.RuleAction] > actionSeverity[status] {
			status = h.RuleAction
		}
	}
	return status
}

// ruleState is what a user keeps for its rules between writes.
type ruleState struct {
	Aggregates rules.Aggregates `json:"aggregates"`
	// Shadow are the shadow rules' latest results (never on the wire's user responses).
	Shadow []rules.Result `json:"shadow"`
	// Hits are the live rules the latest write hit: a rule adds activity risk only when it
	// starts hitting.
	Hits []string `json:"hits,omitempty"`
	// Screening is the latest screening of the user's names (nil: never screened).
	Screening *screenState `json:"screening,omitempty"`
}

// appendJSON appends the state as encoding/json encodes it: every write stores one.
func (st ruleState) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"aggregates":`...)
	b = st.Aggregates.AppendJSON(b)
	b = append(b, `,"shadow":`...)
	b, err := rules.AppendResults(b, st.Shadow)
	if err != nil {
		return nil, err
	}
	if len(st.Hits) > 0 {
		b = append(b, `,"hits":`...)
		b = schema.AppendStrings(b, st.Hits)
	}
	if st.Screening != nil {
		b = append(b, `,"screening":`...)
		b = append(b, mustEncode(st.Screening)...)
	}
	return append(b, '}'), nil
}

// Stages of a write, as rules see them.
const (
	stageInitial = "INITIAL"
	stageUpdate  = "UPDATE"
)

// evaluationInput is everything rules and risk may look at for one write.
type evaluationInput struct {
	kind  Kind
	stage string
	// at is the write's place in time (epoch ms): the event's timestamp, the creation's, or the
	// update's; aggregates record changes at it.
	at       int64
	model    *risk.Model
	rules    *rules.Set
	previous schema.Object // nil for a new user
	// current is the profile after the write; evaluate applies rule triggers to it and sets
	// its riskLevel and kycRiskLevel.
	current schema.Object
	event   schema.Object // nil for a create or update
	// request is the body (create, update) or patch (event) the client sent: its riskLevel and
	// kycRiskLevel are levels set by hand for this write.
	request schema.Object
	flags   Flags
	// risk and ruleState are the user's states before the write (zero for a new user); they are
	// shared and not modified.
	risk      risk.State
	ruleState ruleState
	// notify asks for the webhook notifications of the write (the tenant has endpoints).
	notify bool
	// rescreen, set for a SYSTEM write of a screening (screening_system.go), is the screening
	// made before the write: it replaces the one of the user's names.
	rescreen *screenOutcome
}

// evaluated is the outcome of evaluate, ready to store.
type evaluated struct {
	evaluation Evaluation
	// set made the evaluation; it encodes the rules' results (withEvaluation).
	set *rules.Set
	// riskStored is the risk state in its stored form (entry_risk.go), the row's and the
	// entry's; nil when none was computed.
	riskStored, ruleJSON, shadowJSON []byte
	// risk and rules are the user's new states (riskStored and ruleJSON decoded).
	risk  risk.State
	rules ruleState
	// system is the merge patch of the triggered actions (nil when none changed anything), and
	// triggeredBy the rules that asked for it.
	system      schema.Object
	triggeredBy []string
	// notifications are the changes webhooks report.
	notifications []notification
	// searches are the screening searches that matched, stored with the write.
	searches []ScreeningSearch
}

// evaluate runs the tenant's rules and risk model on the user after a write: rules first (on
// the history aggregates updated by this write), then the actions of the hit rules' triggers,
// then risk on the resulting profile with the live hits as activity. It writes the user's
// current levels into the profile (riskLevel is the CRA level, kycRiskLevel the KRS level).
func (s *Service) evaluate(tenant Tenant, in evaluationInput, now time.Time) (evaluated, error) {
	previousRisk := in.risk
	state := in.ruleState // Aggregates.Update copies; Shadow and Hits are replaced below
	state.Aggregates = state.Aggregates.Update(in.previous, in.current, in.at)
	api := replaceTopLevel(nil, in.current) // the profile as the client's write left it
	screened := s.screenWrite(tenant, in)
	state.Screening = screened.state
	out := in.rules.Evaluate(rules.Input{UserType: string(in.kind), Stage: in.stage, User: in.current,
		Previous: in.previous, Event: in.event, Now: now, RiskLevel: previousRisk.CRA.Level, Aggregates: state.Aggregates,
		Budget: s.ruleBudget, Screening: screeningFacts(screened.state)})
	withScreeningMeta(&out, screened.state)
	for _, f := range out.Failures {
		s.log.Warn("rule failed; counted as not hit", "tenant", tenant.Name, "rule", f.RuleInstanceID, "reason", f.Reason, "err", f.Err)
		s.metrics.RuleFailed(f.Reason)
		s.ruleFailures.record(tenant.ID, f, now.UnixMilli())
	}

	var result evaluated
	if patch := triggerPatch(out.Triggers, in.current); patch != nil {
		before := replaceTopLevel(nil, in.current) // a copy: in.current changes in place below
		applied := schema.MergePatch(in.current, patch)
		for k := range in.current {
			delete(in.current, k)
		}
		for k, v := range applied {
			in.current[k] = v
		}
		state.Aggregates = state.Aggregates.Update(before, in.current, in.at)
		result.system = patch
		for _, h := range out.Hits {
			result.triggeredBy = append(result.triggeredBy, h.RuleInstanceID)
		}
	}
	state.Shadow = out.Shadow

	// Activity risk counts a rule when it starts hitting, not on every write while it keeps
	// hitting: a sanctioned user's routine updates must not push its CRA up each time.
	previousHits := map[string]bool{}
	for _, id := range state.Hits {
		previousHits[id] = true
	}
	var hits []string
	state.Hits = nil
	for _, h := range out.Hits {
		if !previousHits[h.RuleInstanceID] {
			hits = append(hits, h.RuleAction)
		}
		state.Hits = append(state.Hits, h.RuleInstanceID)
	}
	kycOverride, _ := in.request["kycRiskLevel"].(string)
	craOverride, _ := in.request["riskLevel"].(string)
	assessed := in.model.Assess(risk.Input{
		Business: in.kind == Business, Profile: riskView(in.current, screened.state), Now: now,
		KYCOverride: kycOverride, CRAOverride: craOverride,
		LockKYC: in.flags.LockKYCRiskLevel, LockCRA: in.flags.LockCRARiskLevel,
		Previous: previousRisk, Hits: hits,
	})
	details := assessed.Details()
	in.current["riskLevel"] = details.CRARiskLevel
	in.current["kycRiskLevel"] = details.KYCRiskLevel

	if in.notify {
		result.notifications = notifications(in.model, fmt.Sprint(in.current["userId"]), in.previous, api, in.current, previousRisk, assessed)
	}
	result.evaluation = Evaluation{ExecutedRules: out.Executed, HitRules: out.Hits, RiskScoreDetails: &details,
		Status: mostSevere(out.Hits)}
	result.set = in.rules
	result.searches = screened.searches
	var err error
	result.riskStored = packRisk(assessed)
	if result.ruleJSON, err = state.appendJSON(make([]byte, 0, 512)); err != nil {
		result.ruleJSON = mustEncode(state) // encoding/json's own failure, as before
	}
	result.risk, result.rules = assessed, state
	if result.shadowJSON, err = rules.AppendResults(nil, out.Shadow); err != nil {
		result.shadowJSON = mustEncode(out.Shadow)
	}
	return result, nil
}

// triggerPatch merges the triggered actions into one merge patch, keeping only what would
// change the profile (a state the user already has is not set again). Later rules win.
func triggerPatch(triggers []rules.Triggers, profile schema.Object) schema.Object {
	patch := schema.Object{}
	var tags []any
	for _, t := range triggers {
		if t.UserStateDetails != nil {
			patch["userStateDetails"] = schema.Object{"state": t.UserStateDetails.State, "reason": t.UserStateDetails.Reason}
		}
		if t.KYCStatusDetails != nil {
			patch["kycStatusDetails"] = schema.Object{"status": t.KYCStatusDetails.Status, "reason": t.KYCStatusDetails.Reason}
		}
		for _, tag := range t.Tags {
			tags = append(tags, schema.Object{"key": tag.Key, "value": tag.Value})
		}
	}
	if tags != nil {
		patch["tags"] = tags
	}
	for _, field := range []string{"userStateDetails", "kycStatusDetails"} {
		if p, ok := patch[field].(schema.Object); ok {
			if p["reason"] == "" {
				delete(p, "reason")
			}
			cur, _ := profile[field].(schema.Object)
			if cur != nil && sameValues(cur, p) {
				delete(patch, field)
			}
		}
	}
	if tags != nil && schema.Equal(schema.MergePatch(profile, schema.Object{"tags": tags})["tags"], profile["tags"]) {
		delete(patch, "tags")
	}
	if len(patch) == 0 {
		return nil
	}
	return patch
}

// sameValues reports whether every member of want is already in have with an equal value.
func sameValues(have, want schema.Object) bool {
	for k, v := range want {
		if !schema.Equal(have[k], v) {
			return false
		}
	}
	return true
}

// appendJSON appends the evaluation as encoding/json encodes it, without reflection: every write
// encodes one, with a result per rule. set, when it made the evaluation, supplies its rules'
// text already encoded; it may be nil.
func (ev Evaluation) appendJSON(b []byte, set *rules.Set) ([]byte, error) {
	b = append(b, `{"executedRules":`...)
	b, err := schema.AppendList(b, ev.ExecutedRules, set.AppendResult)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"hitRules":`...)
	b, _ = schema.AppendList(b, ev.HitRules, func(b []byte, h rules.Hit) ([]byte, error) { return set.AppendHit(b, h), nil })
	if ev.RiskScoreDetails != nil {
		b = append(b, `,"riskScoreDetails":`...)
		b = ev.RiskScoreDetails.AppendJSON(b)
	}
	b = append(b, `,"status":`...)
	b = schema.AppendString(b, ev.Status)
	return append(b, '}'), nil
}
