package vigil

import (
	"encoding/json"
	"fmt"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/schema"
)

// userState is a user's stored state decoded: what the next write computes from. Its values are
// shared (the user cache hands the same state to concurrent computations), so nothing may modify
// them in place; a write builds new ones.
type userState struct {
	// profile is the current profile (nil for a user not yet created).
	profile schema.Object
	risk    risk.State
	rules   ruleState
}

// decodeUserState decodes the profile, risk state and rule state of a stored user.
func decodeUserState(rec UserRecord) (userState, error) {
	var st userState
	var err error
	if st.profile, err = decodeStored(rec.Profile); err != nil {
		return st, err
	}
	if len(rec.Risk) > 0 {
		if err := json.Unmarshal(rec.Risk, &st.risk); err != nil {
			return st, fmt.Errorf("stored risk state: %w", err)
		}
	}
	if len(rec.Rules) > 0 {
		if err := json.Unmarshal(rec.Rules, &st.rules); err != nil {
			return st, fmt.Errorf("stored rule state: %w", err)
		}
	}
	return st, nil
}
