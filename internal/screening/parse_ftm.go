package screening

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// OpenSanctions publishes entities in FollowTheMoney JSON, one object per line: id, schema,
// properties (each a list of strings: name, alias, weakAlias, previousName, birthDate,
// nationality, citizenship, country, address, topics, programId), datasets, first_seen and
// last_change. Only the schemata of screenable subjects are read (Person, Organization,
// Company, LegalEntity, PublicBody, Vessel, Airplane); the topics "sanction" and "role.pep"
// mark sanctioned subjects and politically exposed persons.

var ftmKinds = map[string]Kind{
	"Person": KindPerson, "Organization": KindOrganisation, "Company": KindOrganisation,
	"LegalEntity": KindOrganisation, "PublicBody": KindOrganisation, "Vessel": KindVessel,
	"Airplane": KindAircraft,
}

type ftmEntity struct {
	ID         string              `json:"id"`
	Schema     string              `json:"schema"`
	Properties map[string][]string `json:"properties"`
	Datasets   []string            `json:"datasets"`
	FirstSeen  string              `json:"first_seen"`
	LastChange string              `json:"last_change"`
}

// maxFTMLine bounds one JSON line (an entity with thousands of aliases stays well below).
const maxFTMLine = 64 << 20

func parseFTM(r io.Reader, fn func(Entry) error) (Header, error) {
	h := Header{Source: SourceOpenSanctions, Format: FormatOpenSanctions}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxFTMLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var x ftmEntity
		if err := json.Unmarshal(b, &x); err != nil {
			return h, &ParseError{Format: FormatOpenSanctions, Line: line, Err: err}
		}
		if x.Schema == "" {
			return h, &ParseError{Format: FormatOpenSanctions, Line: line, Element: x.ID, Err: errors.New("entity without a schema")}
		}
		kind, ok := ftmKinds[x.Schema]
		if !ok {
			continue
		}
		p := x.Properties
		e := Entry{ID: x.ID, Source: SourceOpenSanctions, Kind: kind, Programmes: x.Datasets,
			Listed: cutDate(x.FirstSeen), Modified: cutDate(x.LastChange)}
		names := p["name"]
		if len(names) > 0 {
			e.Name = names[0]
			e.Aliases = append(e.Aliases, names[1:]...)
		}
		e.Aliases = append(e.Aliases, p["alias"]...)
		e.Aliases = append(e.Aliases, p["previousName"]...)
		for _, b := range p["birthDate"] {
			if d, ok := ParseISODate(b); ok {
				e.BirthDates = append(e.BirthDates, d)
			}
		}
		e.Nationalities = countries(append(slices.Clone(p["nationality"]), p["citizenship"]...)...)
		e.Countries = countries(p["country"]...)
		e.Addresses = p["address"]
		e.Sanctioned = slices.Contains(p["topics"], "sanction")
		e.PEP = slices.Contains(p["topics"], "role.pep")
		if err := finish(&e); err != nil {
			return h, &ParseError{Format: FormatOpenSanctions, Line: line, Element: x.Schema, Err: err}
		}
		if e.Modified > h.Published {
			h.Published = e.Modified
		}
		if err := fn(e); err != nil {
			return h, err
		}
	}
	if err := sc.Err(); err != nil {
		return h, &ParseError{Format: FormatOpenSanctions, Line: line + 1, Err: fmt.Errorf("reading: %w", err)}
	}
	return h, nil
}
