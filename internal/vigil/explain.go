package vigil

import (
	"context"
	"errors"

	"github.com/vigil-aml/vigil/internal/risk"
)

// riskExplanation is the body of GET /{consumer|business}/users/{userId}/risk.
type riskExplanation struct {
	UserID           string       `json:"userId"`
	RiskScoreDetails risk.Details `json:"riskScoreDetails"`
	// KYC and CRA are the reported scores with their source and lock.
	KYC risk.Score `json:"kyc"`
	CRA risk.Score `json:"cra"`
	// Computed is what the model says without overrides and locks.
	Computed struct {
		KYC risk.Score `json:"kyc"`
		CRA risk.Score `json:"cra"`
	} `json:"computed"`
	ActivityRisk float64             `json:"activityRisk"`
	ActivityAt   int64               `json:"activityAt"`
	Factors      []risk.FactorResult `json:"factors"`
	Floors       []string            `json:"floors"`
	Model        struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"model"`
}

// ExplainRisk handles GET /consumer/users/{userId}/risk and GET /business/users/{userId}/risk:
// the user's current scores and levels, lock and override state, and each factor's value,
// score, weight and contribution, as computed at the user's latest write.
func (s *Service) ExplainRisk(ctx context.Context, tenant Tenant, kind Kind, userID string) ([]byte, error) {
	rec, err := s.store.User(ctx, tenant.ID, userID)
	if errors.Is(err, ErrNotFound) || (err == nil && rec.Kind != kind) {
		return nil, notFoundOrErased(ctx, s.store.ErasedAt, tenant.ID, userID, notFoundf("No %s with userId %q", names[kind].noun, userID))
	}
	if err != nil {
		return nil, err
	}
	if len(rec.Risk) == 0 {
		return nil, notFoundf("%s %q has not been assessed yet; its risk is computed on its next write", names[kind].noun, userID)
	}
	st, err := unpackRisk(rec.Risk)
	if err != nil {
		return nil, err
	}
	return mustEncode(explain(rec.UserID, st)), nil
}

// explain is the explanation of a risk state.
func explain(userID string, st risk.State) riskExplanation {
	out := riskExplanation{UserID: userID, RiskScoreDetails: st.Details(), KYC: st.KYC, CRA: st.CRA,
		ActivityRisk: st.Activity, ActivityAt: st.ActivityAt, Factors: st.Factors, Floors: st.Floors}
	out.Computed.KYC, out.Computed.CRA = st.ComputedKYC, st.ComputedCRA
	out.Model.Name, out.Model.Version = st.ModelName, st.ModelVersion
	return out
}
