package vigil

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/schema"
)

// serverOwned are fields only the server writes. A create body that carries them has them
// dropped; an event patch that carries them is refused.
var serverOwned = []string{"executedRules", "hitRules", "riskScoreDetails", "status", "message"}

// IsServerOwned reports whether a user answer's field is one the server writes (rule results,
// risk, status, message) rather than part of the client's profile.
func IsServerOwned(field string) bool { return slices.Contains(serverOwned, field) }

// immutableInPatch are fields an event may not change.
var immutableInPatch = append([]string{"userId", "createdTimestamp"}, serverOwned...)

// createResponse is the wire shape of ConsumerUsersCreateResponse / BusinessUsersCreateResponse.
type createResponse struct {
	UserID string `json:"userId"`
	Evaluation
	Message string `json:"message,omitempty"`
}

// userIDDoc is the start of a create's response: {"userId": ...}, as createResponse encodes it.
func userIDDoc(userID string) []byte {
	return append(schema.AppendString([]byte(`{"userId":`), userID), '}')
}

// eventEvaluation is the part of an Evaluation that an event's GET carries.
type eventEvaluation struct {
	ExecutedRules    []schema.Object `json:"executedRules"`
	HitRules         []schema.Object `json:"hitRules"`
	RiskScoreDetails schema.Object   `json:"riskScoreDetails,omitempty"`
}

// withFields returns the JSON object doc with the members of the JSON object extra appended.
// The two must not share keys (profiles never carry server-owned fields).
func withFields(doc, extra []byte) []byte {
	if len(extra) <= 2 {
		return doc
	}
	if len(doc) <= 2 {
		return extra
	}
	out := make([]byte, 0, len(doc)+len(extra))
	out = append(out, doc[:len(doc)-1]...)
	out = append(out, ',')
	return append(out, extra[1:]...)
}

// withEvaluation returns the JSON object doc with the evaluation's members appended, encoded
// straight into one buffer: every write answers with one, and encoding the evaluation apart
// and joining the two copied it and allocated twice.
func (out evaluated) withEvaluation(doc []byte) []byte {
	if len(doc) <= 2 {
		doc = nil // an empty object: the evaluation alone
	}
	// About 400 bytes per rule result; a larger evaluation grows the buffer once.
	b := make([]byte, 0, len(doc)+256+512*len(out.evaluation.ExecutedRules))
	start := 0
	if doc != nil {
		b = append(b, doc[:len(doc)-1]...)
		start = len(b)
	}
	b, err := out.evaluation.appendJSON(b, out.set)
	if err != nil { // encoding/json's own failure, as before
		return withFields(doc, mustEncode(out.evaluation))
	}
	if doc != nil {
		b[start] = ',' // the evaluation's opening brace joins the two objects
	}
	return b
}

// entryEvaluation returns JSON that holds an entry's evaluation fields (executedRules, hitRules,
// riskScoreDetails, status): the entry's first response, which carries them after the profile or
// the userId.
func (s *Service) entryEvaluation(ctx context.Context, e Entry) ([]byte, error) {
	return s.expandResponse(ctx, e.TenantID, e.Response)
}

func mustEncode(v any) []byte {
	b, err := schema.Encode(v)
	if err != nil {
		panic(fmt.Sprintf("vigil: encode %T: %v", v, err)) // only JSON trees and our own structs reach here
	}
	return b
}

// decodeEvaluation reads an Evaluation from JSON that holds its fields (a stored evaluation or a
// response); empty JSON is an evaluation that ran no rule.
func decodeEvaluation(data []byte) (Evaluation, error) {
	var ev Evaluation
	if len(data) > 0 {
		if err := json.Unmarshal(data, &ev); err != nil {
			return ev, fmt.Errorf("stored evaluation: %w", err)
		}
	}
	if ev.ExecutedRules == nil {
		ev.ExecutedRules = []rules.Result{}
	}
	if ev.HitRules == nil {
		ev.HitRules = []rules.Hit{}
	}
	return ev, nil
}

// latestEvaluation returns the JSON of a user's latest evaluation: the evaluation fields of the
// stored response of its newest write (nil if it has none).
func (s *Service) latestEvaluation(ctx context.Context, rec UserRecord, stored []byte) ([]byte, error) {
	if len(stored) == 0 {
		return nil, nil
	}
	response, err := s.expandResponse(ctx, rec.TenantID, stored)
	if err != nil {
		return nil, err
	}
	var fields struct {
		ExecutedRules    json.RawMessage `json:"executedRules"`
		HitRules         json.RawMessage `json:"hitRules"`
		RiskScoreDetails json.RawMessage `json:"riskScoreDetails,omitempty"`
		Status           string          `json:"status"`
	}
	if err := json.Unmarshal(response, &fields); err != nil {
		return nil, fmt.Errorf("stored response: %w", err)
	}
	return json.Marshal(fields)
}
