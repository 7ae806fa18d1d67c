package rules

import (
	"encoding/json"
	"fmt"
	"time"
)

// What a rule expression sees. The environment is a map, which expr reads with a direct lookup
// (a struct costs it reflection on every access), and its functions have signatures that expr
// calls without reflection while still checking the number of arguments at compile time.
//
//	user, previous, event  the profile after the write, before it (nil for a new user), and the
//	                       event body (nil for a create or update); numbers read as float64
//	params                 the rule's parameters for the user's CRA level
//	userType, stage        CONSUMER or BUSINESS; INITIAL (create) or UPDATE
//	riskLevel              the user's CRA level before the write (VERY_HIGH when it has none)
//	now                    the evaluation time in epoch milliseconds
//	changes(attr, days)    how often a tracked attribute (email, phone, address, name, residence,
//	                       nationality, documents, paymentDetails, state, kycStatus) changed in
//	                       the last days
//	kycFailures(days)      how often the KYC status became FAILED in the last days
//	daysSinceStateChange() days since the state last changed (-1 if never)
//	onList(country, list)  whether a country code is on a country list of the tenant's risk
//	                       model (fatfCallForAction, fatfIncreasedMonitoring, euHighRisk); a
//	                       list the model does not have is an error
//	ageYears(date)         age in whole years of a YYYY-MM-DD date (-1 when it is not one)
//	daysSince(ms)          days from an epoch-ms time to now (-1 when it is not a number)
type Env = map[string]any

// sampleEnv types the compiler: every name present, values of the runtime types.
var sampleEnv = newEnv(Input{}, nil)

// newEnv builds the environment of one write; params and riskLevel are set per rule.
func newEnv(in Input, lists map[string]map[string]bool) Env {
	nowMs := in.Now.UnixMilli()
	agg := in.Aggregates
	day := float64(24 * time.Hour / time.Millisecond)
	return Env{
		// Profiles go in as they are: fetch reads their numbers as float64.
		"user": in.User, "previous": in.Previous, "event": in.Event,
		"userType": in.UserType, "stage": in.Stage, "riskLevel": in.RiskLevel, "now": float64(nowMs),
		"screening": in.Screening,
		"params":    map[string]any{}, // set for each rule
		meterName:   &meter{},         // set by Evaluate
		"changes": func(attribute, days any) any {
			attr, _ := attribute.(string)
			return countSince(agg.Changes[attr], nowMs, num("changes", days))
		},
		"kycFailures": func(days any) any { return countSince(agg.KYCFailures, nowMs, num("kycFailures", days)) },
		"daysSinceStateChange": func() float64 {
			if agg.StateChangedAt == 0 {
				return -1
			}
			return float64(nowMs-agg.StateChangedAt) / day
		},
		"onList": func(country, list any) bool {
			c, ok := country.(string)
			name, _ := list.(string)
			l, known := lists[name]
			if !known {
				// Refused when the rule is put; a list since removed from the risk model makes
				// the rule fail, visibly, rather than never hit.
				panic(fmt.Errorf("onList: %q is not a country list of the tenant's risk model", name))
			}
			return ok && l[c]
		},
		"ageYears": func(date any) float64 {
			s, ok := date.(string)
			if !ok {
				return -1
			}
			born, err := time.Parse("2006-01-02", s)
			if err != nil {
				return -1
			}
			years := in.Now.Year() - born.Year()
			if in.Now.Month() < born.Month() || (in.Now.Month() == born.Month() && in.Now.Day() < born.Day()) {
				years--
			}
			return float64(years)
		},
		"daysSince": func(ms any) float64 {
			f, ok := ms.(float64)
			if n, isNumber := ms.(json.Number); isNumber {
				f, ok = toFloat(n)
			}
			if !ok {
				return -1
			}
			return (float64(nowMs) - f) / day
		},
	}
}

// num reads the days argument of fn (float64, int or json.Number). Anything else is a fault in
// the rule, such as a parameter configured as text; expr turns the panic into the rule's
// evaluation error, so the rule is reported as failed rather than silently counting nothing.
func num(fn string, v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case json.Number:
		if f, ok := toFloat(n); ok {
			return f
		}
	}
	panic(fmt.Errorf("%s: days must be a number, not %T", fn, v))
}

func toFloat(n json.Number) (float64, bool) {
	f, err := n.Float64()
	return f, err == nil
}
