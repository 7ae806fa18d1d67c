package vigil

import (
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

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
	// window, when set, refolds a slightly late event without reading the history (window.go).
	window *foldWindow
}

// lenientState has the JSON v2 decoder accept what encoding/json accepted in a stored state:
// names in any case, a repeated name (the last wins) and invalid UTF-8. Vigil writes none of
// them, but a stored row must never become unreadable because the decoder changed.
var lenientState = jsonv2.JoinOptions(jsonv2.MatchCaseInsensitiveNames(true), jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true))

// decodeUserState decodes the profile, risk state and rule state of a stored user.
func decodeUserState(rec UserRecord) (userState, error) {
	var st userState
	var err error
	if st.profile, err = decodeStored(rec.Profile); err != nil {
		return st, err
	}
	if len(rec.Risk) > 0 {
		if st.risk, err = unpackRisk(rec.Risk); err != nil {
			return st, err
		}
	}
	if len(rec.Rules) > 0 {
		if err := jsonv2.Unmarshal(rec.Rules, &st.rules, lenientState); err != nil {
			return st, fmt.Errorf("stored rule state: %w", err)
		}
	}
	return st, nil
}
