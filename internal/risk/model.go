// Package risk scores users: the KYC risk score (KRS) from a user's profile through a model of
// weighted risk factors, and the customer risk score (CRA) that adds the user's activity risk
// from rule hits, with manual overrides and locks. Models are data (JSON or YAML); a default
// ships in the binary. Everything here is a pure function of its inputs.
package risk

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/vigil-aml/vigil/internal/schema"
)

// Levels are the risk levels, least risky first.
var Levels = []string{"VERY_LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH"}

// Model is a risk model: factors with weights, the country lists they use, the score bands of
// the levels, and how rule hits raise the CRA.
type Model struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Bands gives each level's lowest score; a score belongs to the highest band it reaches.
	Bands []Band `json:"bands"`
	// CountryLists are named lists of country codes, each with the date it is current as of.
	CountryLists     map[string]CountryList `json:"countryLists"`
	ConsumerFactors  []Factor               `json:"consumerFactors"`
	BusinessFactors  []Factor               `json:"businessFactors"`
	Activity         Activity               `json:"activity"`
	compiledConsumer []compiledFactor
	compiledBusiness []compiledFactor
}

// Band is the lowest score of a level.
type Band struct {
	Level string  `json:"level"`
	Min   float64 `json:"min"`
}

// CountryList is a named list of ISO country codes.
type CountryList struct {
	AsOf      string   `json:"asOf"`
	Source    string   `json:"source,omitempty"`
	Countries []string `json:"countries"`
}

// Factor maps one attribute of a user to a score from 0 to 100.
type Factor struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	// Type selects the evaluator: country, value, boolean, pep, age, expiry or relatedParties.
	Type string `json:"type"`
	// Paths are where the attribute is read: dotted, with [] for every item of an array.
	Paths []string `json:"paths"`
	// Scores maps a value (an enum value, a country list name, "true", a PEP rank, ...) to a score.
	Scores map[string]float64 `json:"scores,omitempty"`
	// Default scores a value that Scores does not name.
	Default float64 `json:"default"`
	// Missing scores a user who has no value for the attribute.
	Missing float64 `json:"missing"`
	// Ranges score a number (years for age): the first range whose value is below Below.
	Ranges []Range `json:"ranges,omitempty"`
	// Floors keep the KRS at a level at least when this factor scores high.
	Floors []Floor `json:"floors,omitempty"`
}

// Range scores numbers below Below (and not below an earlier range's Below).
type Range struct {
	Below float64 `json:"below"`
	Score float64 `json:"score"`
}

// Floor puts the KRS at Level at least when the factor scores AtLeast or more, so a weighted mean
// never dilutes a decisive fact.
type Floor struct {
	AtLeast float64 `json:"factorScoreAtLeast"`
	Level   string  `json:"level"`
}

// Activity says how rule hits raise the CRA above the KRS.
type Activity struct {
	// Points per hit by rule action (FLAG, SUSPEND, BLOCK).
	Points map[string]float64 `json:"points"`
	// HalfLifeDays is how long a hit takes to count half as much.
	HalfLifeDays float64 `json:"halfLifeDays"`
}

//go:embed default-model.yaml
var defaultModel []byte

// DefaultDocument returns the default model as shipped (YAML).
func DefaultDocument() []byte { return defaultModel }

// Default returns the model that ships with the server.
func Default() *Model {
	m, err := Parse(defaultModel)
	if err != nil {
		panic("risk: the default model is invalid: " + err.Error())
	}
	return m
}

// invalid is the error of a model with problems.
func invalid(problems ...string) *schema.Invalid {
	return &schema.Invalid{What: "risk model", Problems: schema.Reasons(problems...)}
}

// Parse reads a model from JSON or YAML, rejecting unknown fields, and checks it.
func Parse(data []byte) (*Model, error) {
	js, err := schema.YAMLToJSON(data)
	if err != nil {
		return nil, invalid("not valid JSON or YAML: " + err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, invalid(err.Error())
	}
	if problems := m.check(); len(problems) > 0 {
		return nil, invalid(problems...)
	}
	m.compiledConsumer = compileFactors(m.ConsumerFactors)
	m.compiledBusiness = compileFactors(m.BusinessFactors)
	return &m, nil
}

// JSON returns the model as JSON.
func (m *Model) JSON() []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // a Model always marshals
	}
	return b
}

var factorTypes = map[string]bool{"country": true, "value": true, "boolean": true, "pep": true, "age": true,
	"expiry": true, "relatedParties": true}

// check lists every problem of the model.
func (m *Model) check() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if m.Name == "" {
		add("name: is required")
	}
	if len(m.Bands) != len(Levels) {
		add("bands: must give the lowest score of each of the %d levels %s, in that order", len(Levels), strings.Join(Levels, ", "))
	} else {
		for i, b := range m.Bands {
			if b.Level != Levels[i] {
				add("bands[%d].level: must be %s", i, Levels[i])
			}
			if i == 0 && b.Min != 0 {
				add("bands[0].min: must be 0")
			}
			if i > 0 && b.Min <= m.Bands[i-1].Min {
				add("bands[%d].min: must be above bands[%d].min", i, i-1)
			}
			if b.Min < 0 || b.Min >= 100 {
				add("bands[%d].min: must be from 0 to below 100", i)
			}
		}
	}
	for name, l := range m.CountryLists {
		if l.AsOf == "" {
			add("countryLists.%s.asOf: is required (the date the list is current as of)", name)
		}
		for i, c := range l.Countries {
			if len(c) != 2 || strings.ToUpper(c) != c {
				add("countryLists.%s.countries[%d]: %q is not an ISO 3166-1 alpha-2 code", name, i, c)
			}
		}
	}
	for _, set := range []struct {
		name    string
		factors []Factor
	}{{"consumerFactors", m.ConsumerFactors}, {"businessFactors", m.BusinessFactors}} {
		if len(set.factors) == 0 {
			add("%s: needs at least one factor", set.name)
		}
		ids := map[string]bool{}
		for i, f := range set.factors {
			at := fmt.Sprintf("%s[%d]", set.name, i)
			if f.ID == "" {
				add("%s.id: is required", at)
			} else if ids[f.ID] {
				add("%s.id: %q is used twice", at, f.ID)
			}
			ids[f.ID] = true
			if !factorTypes[f.Type] {
				types := make([]string, 0, len(factorTypes))
				for t := range factorTypes {
					types = append(types, t)
				}
				sort.Strings(types)
				add("%s.type: %q is not one of %s", at, f.Type, strings.Join(types, ", "))
			}
			if f.Weight <= 0 {
				add("%s.weight: must be above 0", at)
			}
			if len(f.Paths) == 0 {
				add("%s.paths: needs at least one path", at)
			}
			for k, s := range f.Scores {
				if s < 0 || s > 100 {
					add("%s.scores.%s: %v is not from 0 to 100", at, k, s)
				}
				if f.Type == "country" || f.Type == "relatedParties" {
					if _, ok := m.CountryLists[k]; !ok && !(f.Type == "relatedParties" && (k == "PEP" || k == "SANCTIONED")) {
						add("%s.scores.%s: no country list has this name", at, k)
					}
				}
			}
			for _, v := range []struct {
				name string
				s    float64
			}{{"default", f.Default}, {"missing", f.Missing}} {
				if v.s < 0 || v.s > 100 {
					add("%s.%s: %v is not from 0 to 100", at, v.name, v.s)
				}
			}
			for j, r := range f.Ranges {
				if r.Score < 0 || r.Score > 100 {
					add("%s.ranges[%d].score: %v is not from 0 to 100", at, j, r.Score)
				}
				if j > 0 && r.Below <= f.Ranges[j-1].Below {
					add("%s.ranges[%d].below: must be above ranges[%d].below", at, j, j-1)
				}
			}
			if f.Type == "age" && len(f.Ranges) == 0 {
				add("%s.ranges: an age factor needs ranges", at)
			}
			for j, fl := range f.Floors {
				if levelIndex(fl.Level) < 0 {
					add("%s.floors[%d].level: %q is not one of %s", at, j, fl.Level, strings.Join(Levels, ", "))
				}
			}
		}
	}
	for action, pts := range m.Activity.Points {
		if action != "FLAG" && action != "SUSPEND" && action != "BLOCK" {
			add("activity.points.%s: only FLAG, SUSPEND and BLOCK hits add activity risk", action)
		}
		if pts < 0 || pts > 100 {
			add("activity.points.%s: %v is not from 0 to 100", action, pts)
		}
	}
	if m.Activity.HalfLifeDays <= 0 {
		add("activity.halfLifeDays: must be above 0")
	}
	sort.Strings(p)
	return p
}

func levelIndex(level string) int {
	for i, l := range Levels {
		if l == level {
			return i
		}
	}
	return -1
}

// Level returns the level of a score.
func (m *Model) Level(score float64) string {
	level := m.Bands[0].Level
	for _, b := range m.Bands {
		if score >= b.Min {
			level = b.Level
		}
	}
	return level
}

// bandMin is the lowest score of a level.
func (m *Model) bandMin(level string) float64 { return m.Bands[levelIndex(level)].Min }

// Middle is the score in the middle of a level's band: a manual level's score.
func (m *Model) Middle(level string) float64 {
	i := levelIndex(level)
	upper := 100.0
	if i+1 < len(m.Bands) {
		upper = m.Bands[i+1].Min
	}
	return (m.Bands[i].Min + upper) / 2
}
