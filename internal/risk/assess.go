package risk

import (
	"math"
	"time"
)

// Input is what the model needs to assess one user after one write.
type Input struct {
	// Business selects the business factors instead of the consumer ones.
	Business bool
	// Profile is the user after the write, as a JSON tree.
	Profile map[string]any
	Now     time.Time
	// KYCOverride and CRAOverride are levels set by hand in this write's body ("" when none).
	KYCOverride, CRAOverride string
	// LockKYC and LockCRA are this write's lock flags; nil means the flag was absent.
	LockKYC, LockCRA *bool
	// Previous is the user's state after its previous write (zero for a new user).
	Previous State
	// Hits are the actions of the rules that started hitting with this write; each adds
	// activity risk (a rule that keeps hitting adds nothing more).
	Hits []string
}

// State is a user's risk after a write: what is reported, what the model computed, locks, the
// activity accumulator, and the explanation. It is stored with the user.
type State struct {
	KYC Score `json:"kyc"`
	CRA Score `json:"cra"`
	// ComputedKYC and ComputedCRA are what the model says without overrides and locks.
	ComputedKYC Score `json:"computedKyc"`
	ComputedCRA Score `json:"computedCra"`
	// Activity is the decayed sum of rule-hit points at ActivityAt (epoch ms), capped at 100.
	Activity   float64        `json:"activity"`
	ActivityAt int64          `json:"activityAt"`
	Factors    []FactorResult `json:"factors"`
	// Floors lists the floors that raised the KRS, e.g. "sanctions: HIGH".
	Floors       []string `json:"floors"`
	ModelName    string   `json:"modelName"`
	ModelVersion string   `json:"modelVersion"`
}

// Score is a score with its level and where it comes from.
type Score struct {
	Score float64 `json:"score"`
	Level string  `json:"level"`
	// Source is COMPUTED (by the model) or OVERRIDE (a level set by hand).
	Source string `json:"source"`
	// Locked scores do not change until a write sends the lock flag again.
	Locked bool `json:"locked,omitempty"`
}

// FactorResult explains one factor: what it saw, its score, its weight and its share of the KRS.
type FactorResult struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Value        string  `json:"value,omitempty"`
	Missing      bool    `json:"missing,omitempty"`
	Score        float64 `json:"score"`
	Weight       float64 `json:"weight"`
	Contribution float64 `json:"contribution"`
}

// Details is the wire's UserRiskScoreDetails.
type Details struct {
	KYCRiskScore float64 `json:"kycRiskScore"`
	CRARiskScore float64 `json:"craRiskScore"`
	KYCRiskLevel string  `json:"kycRiskLevel"`
	CRARiskLevel string  `json:"craRiskLevel"`
}

// Details returns what the wire reports.
func (s State) Details() Details {
	return Details{KYCRiskScore: s.KYC.Score, CRARiskScore: s.CRA.Score, KYCRiskLevel: s.KYC.Level, CRARiskLevel: s.CRA.Level}
}

// Assess computes a user's risk after a write.
func (m *Model) Assess(in Input) State {
	factors := m.compiledConsumer
	if in.Business {
		factors = m.compiledBusiness
	}
	st := State{ModelName: m.Name, ModelVersion: m.Version, Factors: make([]FactorResult, len(factors)), Floors: []string{}}
	var sum, weights float64
	scores := make([]float64, len(factors))
	for i := range factors {
		f := &factors[i]
		ev := m.evaluate(f, in.Profile, in.Now)
		scores[i] = ev.score
		sum += f.Weight * ev.score
		weights += f.Weight
		st.Factors[i] = FactorResult{ID: f.ID, Name: f.Name, Value: ev.value, Missing: ev.value == "",
			Score: ev.score, Weight: f.Weight}
	}
	krs := sum / weights
	for i := range factors {
		st.Factors[i].Contribution = round2(st.Factors[i].Weight * scores[i] / weights)
		for _, fl := range factors[i].Floors {
			if scores[i] >= fl.AtLeast && krs < m.bandMin(fl.Level) {
				krs = m.bandMin(fl.Level)
				st.Floors = append(st.Floors, factors[i].ID+": "+fl.Level)
			}
		}
	}
	krs = round2(krs)
	st.ComputedKYC = Score{Score: krs, Level: m.Level(krs), Source: "COMPUTED"}
	st.KYC = m.resolve(in.Previous.KYC, st.ComputedKYC, in.KYCOverride, in.LockKYC)

	st.Activity, st.ActivityAt = m.activity(in.Previous, in.Now, in.Hits)
	// The explanation's computed CRA is the model's alone (on the computed KRS); the reported one
	// builds on the reported KRS, so a KRS set by hand or locked carries into the CRA.
	computed := m.combine(st.ComputedKYC.Score, st.Activity)
	st.ComputedCRA = Score{Score: computed, Level: m.Level(computed), Source: "COMPUTED"}
	onReported := m.combine(st.KYC.Score, st.Activity)
	st.CRA = m.resolve(in.Previous.CRA, Score{Score: onReported, Level: m.Level(onReported), Source: "COMPUTED"},
		in.CRAOverride, in.LockCRA)
	return st
}

// combine raises a KRS by activity risk: CRA = KRS + (100 - KRS) x activity / 100.
func (m *Model) combine(krs, activity float64) float64 {
	return round2(krs + (100-krs)*activity/100)
}

// resolve applies a write's override and lock flag to a computed score. A lock freezes what the
// write that set it reported. A locked score changes only with the flag: false releases it and
// recomputes; true with a level set by hand locks that level. The flag true alone on a locked
// score keeps it (clients that send the flag on every write must not move a locked level).
func (m *Model) resolve(prev, computed Score, override string, lock *bool) Score {
	if prev.Locked && (lock == nil || (*lock && override == "")) {
		return prev
	}
	next := computed
	if override != "" {
		next = Score{Score: m.Middle(override), Level: override, Source: "OVERRIDE"}
	}
	next.Locked = lock != nil && *lock
	return next
}

// activity decays the previous accumulator to now and adds this write's hits.
func (m *Model) activity(prev State, now time.Time, hits []string) (float64, int64) {
	a := prev.Activity
	at := now.UnixMilli()
	if a > 0 && prev.ActivityAt > 0 && at > prev.ActivityAt {
		days := float64(at-prev.ActivityAt) / float64(24*time.Hour/time.Millisecond)
		a *= math.Pow(0.5, days/m.Activity.HalfLifeDays)
	}
	for _, h := range hits {
		a += m.Activity.Points[h]
	}
	return math.Min(100, round2(a)), at
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
