package vigil

import "github.com/vigil-aml/vigil/internal/schema"

// Evaluation is what the rules and the risk model said about a user after one write. It is
// stored with the write and on the user, and returned on the wire.
type Evaluation struct {
	ExecutedRules []schema.Object `json:"executedRules"`
	HitRules      []schema.Object `json:"hitRules"`
	// RiskScoreDetails is absent until a risk model scores the user.
	RiskScoreDetails schema.Object `json:"riskScoreDetails,omitempty"`
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
	previous schema.Object // nil for a new user
	current  schema.Object
	event    schema.Object // nil for a create or update
	history  []Entry
}

// evaluate runs the tenant's rules and risk model on the user after a write. No rule library
// or risk model is installed yet, so nothing is executed and no score is reported: the lists
// are empty and the status is ALLOW, never invented values.
func (s *Service) evaluate(in evaluationInput) Evaluation {
	ev := Evaluation{ExecutedRules: []schema.Object{}, HitRules: []schema.Object{}}
	ev.Status = mostSevere(ev.HitRules)
	return ev
}
