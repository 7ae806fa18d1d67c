package vigil

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/schema"
)

// Evaluation is what the rules and the risk model said about a user after one write. It is
// stored with the write and on the user, and returned on the wire.
type Evaluation struct {
	ExecutedRules    []schema.Object `json:"executedRules"`
	HitRules         []schema.Object `json:"hitRules"`
	RiskScoreDetails *risk.Details   `json:"riskScoreDetails,omitempty"`
	// Status is the most severe action among the hit rules, ALLOW when none hit.
	Status string `json:"status"`
}

// actionSeverity orders rule actions: BLOCK > SUSPEND > FLAG > ALLOW.
var actionSeverity = map[string]int{"ALLOW": 0, "FLAG": 1, "SUSPEND": 2, "BLOCK": 3}

// mostSevere returns the most severe ruleAction among hits, ALLOW when there is none.
func mostSevere(hits []schema.Object) string {
	status := "ALLOW"
	for _, h := range hits {
		if a, ok := h["ruleAction"].(string); ok && actionSeverity[a] > actionSeverity[status] {
			status = a
		}
	}
	return status
}

// evaluationInput is everything rules and risk may look at for one write.
type evaluationInput struct {
	kind     Kind
	model    *risk.Model
	previous schema.Object // nil for a new user
	// current is the profile after the write; evaluate sets its riskLevel and kycRiskLevel.
	current schema.Object
	event   schema.Object // nil for a create or update
	history []Entry
	// request is the body (create, update) or patch (event) the client sent: its riskLevel and
	// kycRiskLevel are levels set by hand for this write.
	request schema.Object
	flags   Flags
	// risk is the user's stored risk state (empty for a new user).
	risk []byte
}

// evaluated is the outcome of evaluate.
type evaluated struct {
	evaluation Evaluation
	// evaluationJSON and riskJSON are ready to store.
	evaluationJSON, riskJSON []byte
}

// evaluate runs the tenant's rules and risk model on the user after a write, and writes the
// user's current levels into the profile (riskLevel is the CRA level, kycRiskLevel the KRS level,
// as Flagright reports them). No rule library is installed yet: nothing is executed, so the
// lists are empty and the status is ALLOW.
func (s *Service) evaluate(in evaluationInput, now time.Time) (evaluated, error) {
	ev := Evaluation{ExecutedRules: []schema.Object{}, HitRules: []schema.Object{}}
	ev.Status = mostSevere(ev.HitRules)

	var previous risk.State
	if len(in.risk) > 0 {
		if err := json.Unmarshal(in.risk, &previous); err != nil {
			return evaluated{}, fmt.Errorf("stored risk state: %w", err)
		}
	}
	hits := make([]string, 0, len(ev.HitRules))
	for _, h := range ev.HitRules {
		if a, ok := h["ruleAction"].(string); ok {
			hits = append(hits, a)
		}
	}
	kycOverride, _ := in.request["kycRiskLevel"].(string)
	craOverride, _ := in.request["riskLevel"].(string)
	state := in.model.Assess(risk.Input{
		Business: in.kind == Business, Profile: in.current, Now: now,
		KYCOverride: kycOverride, CRAOverride: craOverride,
		LockKYC: in.flags.LockKYCRiskLevel, LockCRA: in.flags.LockCRARiskLevel,
		Previous: previous, Hits: hits,
	})
	details := state.Details()
	ev.RiskScoreDetails = &details
	in.current["riskLevel"] = details.CRARiskLevel
	in.current["kycRiskLevel"] = details.KYCRiskLevel
	return evaluated{evaluation: ev, evaluationJSON: mustEncode(ev), riskJSON: mustEncode(state)}, nil
}
