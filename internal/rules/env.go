package rules

import (
	"encoding/json"
	"time"
)

// Env is what a rule expression sees. Field names in expressions are the expr tags.
type Env struct {
	// User is the profile after the write; Previous the profile before it (nil for a new user);
	// Event the event body (nil for a create or update). Numbers are float64.
	User     map[string]any `expr:"user"`
	Previous map[string]any `expr:"previous"`
	Event    map[string]any `expr:"event"`
	// Params are the rule's parameters for the user's CRA level.
	Params map[string]any `expr:"params"`
	// UserType is CONSUMER or BUSINESS; Stage is INITIAL (create) or UPDATE.
	UserType string `expr:"userType"`
	Stage    string `expr:"stage"`
	// RiskLevel is the user's CRA level before this write (VERY_HIGH when it has none).
	RiskLevel string `expr:"riskLevel"`
	// Now is the evaluation time in epoch milliseconds.
	Now float64 `expr:"now"`

	// Changes counts the changes of a tracked attribute (email, phone, address, name, residence,
	// nationality, documents, paymentDetails, state, kycStatus) in the last days.
	Changes func(attribute string, days float64) int `expr:"changes"`
	// KYCFailures counts the times the KYC status became FAILED in the last days.
	KYCFailures func(days float64) int `expr:"kycFailures"`
	// DaysSinceStateChange is the number of days since the state last changed (-1 if never).
	DaysSinceStateChange func() float64 `expr:"daysSinceStateChange"`
	// OnList reports whether a country code is on a country list of the tenant's risk model
	// (fatfCallForAction, fatfIncreasedMonitoring, euHighRisk in the default model).
	OnList func(country any, list string) bool `expr:"onList"`
	// AgeYears is the age in whole years of a YYYY-MM-DD date (-1 when it is not one).
	AgeYears func(date any) float64 `expr:"ageYears"`
	// DaysSince is the number of days from an epoch-ms time to now (-1 when it is not a number).
	DaysSince func(ms any) float64 `expr:"daysSince"`
}

// sampleEnv types the compiler: every field present, values of the runtime types.
var sampleEnv = &Env{}

// newEnv builds the environment of one write; Params and RiskLevel are set per rule.
func newEnv(in Input, lists map[string]map[string]bool) *Env {
	nowMs := in.Now.UnixMilli()
	agg := in.Aggregates
	return &Env{
		// Profiles go in as they are: fetch reads their numbers as float64.
		User: in.User, Previous: in.Previous, Event: in.Event,
		UserType: in.UserType, Stage: in.Stage, RiskLevel: in.RiskLevel, Now: float64(nowMs),
		Changes: func(attribute string, days float64) int {
			return countSince(agg.Changes[attribute], nowMs, days)
		},
		KYCFailures: func(days float64) int { return countSince(agg.KYCFailures, nowMs, days) },
		DaysSinceStateChange: func() float64 {
			if agg.StateChangedAt == 0 {
				return -1
			}
			return float64(nowMs-agg.StateChangedAt) / float64(24*time.Hour/time.Millisecond)
		},
		OnList: func(country any, list string) bool {
			c, ok := country.(string)
			return ok && lists[list][c]
		},
		AgeYears: func(date any) float64 {
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
		DaysSince: func(ms any) float64 {
			f, ok := ms.(float64)
			if n, isNumber := ms.(json.Number); isNumber {
				f, ok = toFloat(n)
			}
			if !ok {
				return -1
			}
			return (float64(nowMs) - f) / float64(24*time.Hour/time.Millisecond)
		},
	}
}

func toFloat(n json.Number) (float64, bool) {
	f, err := n.Float64()
	return f, err == nil
}
