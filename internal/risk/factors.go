package risk

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
)

// compiledFactor is a Factor with its paths compiled once.
type compiledFactor struct {
	Factor
	paths []path
	// byLower holds Scores with lower-case keys: value factors match case-insensitively (many
	// attributes, like industries, are free text).
	byLower map[string]float64
}

func compileFactors(fs []Factor) []compiledFactor {
	out := make([]compiledFactor, len(fs))
	for i, f := range fs {
		out[i] = compiledFactor{Factor: f, byLower: map[string]float64{}}
		for k, v := range f.Scores {
			out[i].byLower[strings.ToLower(k)] = v
		}
		for _, p := range f.Paths {
			out[i].paths = append(out[i].paths, compilePath(p))
		}
	}
	return out
}

func (f *compiledFactor) values(profile map[string]any) []any {
	var vals []any
	for _, p := range f.paths {
		vals = p.collect(profile, vals)
	}
	return vals
}

// evaluation is one factor's result for one profile.
type evaluation struct {
	// value describes what the factor saw, for the explanation ("" when missing).
	value string
	score float64
}

// evaluate scores one factor. now is used by the age and expiry factors.
func (m *Model) evaluate(f *compiledFactor, profile map[string]any, now time.Time) evaluation {
	vals := f.values(profile)
	if len(vals) == 0 {
		return evaluation{score: f.Missing}
	}
	switch f.Type {
	case "country":
		return m.maxOver(vals, func(v any) (string, float64, bool) {
			c, ok := v.(string)
			if !ok {
				return "", 0, false
			}
			return c, m.countryScore(f, c), true
		}, f.Missing)
	case "value":
		return m.maxOver(vals, func(v any) (string, float64, bool) {
			s, ok := v.(string)
			if !ok {
				return "", 0, false
			}
			if score, ok := f.byLower[strings.ToLower(s)]; ok {
				return s, score, true
			}
			return s, f.Default, true
		}, f.Missing)
	case "boolean":
		return m.maxOver(vals, func(v any) (string, float64, bool) {
			b, ok := v.(bool)
			if !ok {
				return "", 0, false
			}
			key := fmt.Sprint(b)
			if score, ok := f.Scores[key]; ok {
				return key, score, true
			}
			return key, f.Default, true
		}, f.Missing)
	case "pep":
		return m.maxOver(vals, func(v any) (string, float64, bool) {
			item, ok := v.(map[string]any)
			if !ok {
				return "", 0, false
			}
			if hit, _ := item["isPepHit"].(bool); !hit {
				return "NO_HIT", f.Scores["NO_HIT"], true
			}
			rank, _ := item["pepRank"].(string)
			if score, ok := f.Scores[rank]; ok && rank != "" {
				return "PEP " + rank, score, true
			}
			return "PEP (rank unknown)", f.Default, true
		}, f.Missing)
	case "age":
		return m.maxOver(vals, func(v any) (string, float64, bool) {
			s, ok := v.(string)
			if !ok {
				return "", 0, false
			}
			born, err := time.Parse("2006-01-02", s)
			if err != nil {
				return "", 0, false
			}
			years := yearsBetween(born, now)
			for _, r := range f.Ranges {
				if float64(years) < r.Below {
					return fmt.Sprintf("%d years", years), r.Score, true
				}
			}
			return fmt.Sprintf("%d years", years), f.Default, true
		}, f.Missing)
	case "expiry":
		return m.maxOver(vals, func(v any) (string, float64, bool) {
			ms, ok := schema.Number(v)
			if !ok {
				return "", 0, false
			}
			if ms < float64(now.UnixMilli()) {
				return "EXPIRED", f.Scores["EXPIRED"], true
			}
			return "VALID", f.Scores["VALID"], true
		}, f.Missing)
	case "relatedParties":
		return m.maxOver(vals, func(v any) (string, float64, bool) {
			party, ok := v.(map[string]any)
			if !ok {
				return "", 0, false
			}
			return m.partyScore(f, party)
		}, f.Missing)
	}
	return evaluation{score: f.Missing}
}

// maxOver scores every value and keeps the riskiest; values it cannot read count as missing.
func (m *Model) maxOver(vals []any, score func(any) (string, float64, bool), missing float64) evaluation {
	best := evaluation{score: -1}
	var seen []string
	for _, v := range vals {
		label, s, ok := score(v)
		if !ok {
			continue
		}
		seen = append(seen, label)
		if s > best.score {
			best.score = s
		}
	}
	if best.score < 0 {
		return evaluation{score: missing}
	}
	sort.Strings(seen)
	best.value = strings.Join(dedupe(seen), ", ")
	return best
}

func (m *Model) countryScore(f *compiledFactor, country string) float64 {
	score, listed := 0.0, false
	for name, s := range f.Scores {
		if m.inList(name, country) && (!listed || s > score) {
			score, listed = s, true
		}
	}
	if !listed {
		return f.Default
	}
	return score
}

func (m *Model) inList(name, country string) bool {
	for _, c := range m.CountryLists[name].Countries {
		if c == country {
			return true
		}
	}
	return false
}

// partyScore scores a director, shareholder or associated party: a PEP hit, a sanctionsStatus of
// true, or a country on a scored list (nationality, residence or registration).
func (m *Model) partyScore(f *compiledFactor, party map[string]any) (string, float64, bool) {
	label, best := "no finding", f.Default
	consider := func(l string, s float64) {
		if s > best {
			label, best = l, s
		}
	}
	if peps, ok := party["pepStatus"].([]any); ok {
		for _, p := range peps {
			if item, ok := p.(map[string]any); ok {
				if hit, _ := item["isPepHit"].(bool); hit {
					consider("PEP", f.Scores["PEP"])
				}
			}
		}
	}
	if sanctioned, _ := party["sanctionsStatus"].(bool); sanctioned {
		consider("SANCTIONED", f.Scores["SANCTIONED"])
	}
	var countries []any
	for _, p := range partyCountryPaths {
		countries = p.collect(party, countries)
	}
	for _, c := range countries {
		if code, ok := c.(string); ok {
			for name := range f.Scores {
				if m.inList(name, code) {
					consider(name+" "+code, f.Scores[name])
				}
			}
		}
	}
	return label, best, true
}

var partyCountryPaths = []path{
	compilePath("generalDetails.countryOfNationality"),
	compilePath("generalDetails.countryOfResidence"),
	compilePath("companyRegistrationDetails.registrationCountry"),
}

// yearsBetween counts whole years from born to now.
func yearsBetween(born, now time.Time) int {
	years := now.Year() - born.Year()
	if now.Month() < born.Month() || (now.Month() == born.Month() && now.Day() < born.Day()) {
		years--
	}
	return int(math.Max(0, float64(years)))
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
