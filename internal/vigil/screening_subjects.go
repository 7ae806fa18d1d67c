package vigil

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/screening"
)

// A user's screened fields are its names and what tells their holder apart: a consumer's name
// with its date of birth, nationalities and residence; a business's legal name (and aliases)
// with its registration country; the names of its directors and shareholders (people with their
// details, or companies); and the names on saved cards and bank accounts. Each name is screened
// with the Flagright entityType it is reported under. Nothing else of a profile is screened, so
// a write that changes none of these reuses the last screening and searches nothing.

// screeningSubjects lists the names of a profile to screen, in a fixed order.
func screeningSubjects(kind Kind, userID string, p schema.Object) []screening.Subject {
	var out []screening.Subject
	add := func(et screening.EntityType, q screening.Query) {
		if strings.TrimSpace(q.Name) == "" {
			return
		}
		out = append(out, screening.Subject{UserID: userID, EntityType: et, Query: q})
	}
	if kind == Business {
		le, _ := p["legalEntity"].(schema.Object)
		general, _ := le["companyGeneralDetails"].(schema.Object)
		reg, _ := le["companyRegistrationDetails"].(schema.Object)
		var countries []string
		if c, ok := reg["registrationCountry"].(string); ok {
			countries = append(countries, c)
		}
		org := func(name string) screening.Query {
			return screening.Query{Name: name, Kind: screening.KindOrganisation, Countries: countries}
		}
		if name, ok := general["legalName"].(string); ok {
			add(screening.EntityLegalName, org(name))
		}
		for _, a := range strs(general["alias"]) {
			add(screening.EntityLegalEntityAlias, org(a))
		}
		for _, party := range []struct {
			field string
			et    screening.EntityType
		}{{"directors", screening.EntityDirector}, {"shareHolders", screening.EntityShareholder}} {
			items, _ := p[party.field].([]any)
			for _, it := range items {
				item, _ := it.(schema.Object)
				if details, ok := item["generalDetails"].(schema.Object); ok {
					add(party.et, personQuery(details))
				} else if g, ok := item["companyGeneralDetails"].(schema.Object); ok {
					if name, ok := g["legalName"].(string); ok {
						add(party.et, screening.Query{Name: name, Kind: screening.KindOrganisation})
					}
				}
			}
		}
	} else if details, ok := p["userDetails"].(schema.Object); ok {
		q := personQuery(details)
		add(screening.EntityConsumerName, q)
		for _, a := range strs(details["alias"]) {
			alias := q
			alias.Name = a
			add(screening.EntityConsumerAlias, alias)
		}
	}
	items, _ := p["savedPaymentDetails"].([]any)
	for _, it := range items {
		item, _ := it.(schema.Object)
		if n, ok := item["nameOnCard"].(schema.Object); ok {
			add(screening.EntityNameOnCard, screening.Query{Name: fullName(n), Kind: screening.KindPerson})
		} else if name, ok := item["name"].(string); ok && item["method"] != "CARD" {
			add(screening.EntityBankAccountHolderName, screening.Query{Name: name})
		}
	}
	return out
}

// personQuery is the query for a person's UserDetails.
func personQuery(d schema.Object) screening.Query {
	q := screening.Query{Kind: screening.KindPerson}
	if n, ok := d["name"].(schema.Object); ok {
		q.Name = fullName(n)
	}
	if dob, ok := d["dateOfBirth"].(string); ok {
		q.BirthDate, _ = screening.ParseISODate(dob)
	}
	if c, ok := d["countryOfNationality"].(string); ok {
		q.Nationalities = append(q.Nationalities, c)
	}
	q.Nationalities = append(q.Nationalities, strs(d["secondaryCountryOfNationality"])...)
	if c, ok := d["countryOfResidence"].(string); ok {
		q.Countries = append(q.Countries, c)
	}
	return q
}

// fullName joins a ConsumerName's parts.
func fullName(n schema.Object) string {
	var parts []string
	for _, f := range []string{"firstName", "middleName", "lastName"} {
		if s, ok := n[f].(string); ok && strings.TrimSpace(s) != "" {
			parts = append(parts, strings.TrimSpace(s))
		}
	}
	return strings.Join(parts, " ")
}

func strs(v any) []string {
	items, _ := v.([]any)
	var out []string
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// subjectsKey fingerprints the screened fields: two profiles with the same key are screened
// alike.
func subjectsKey(subjects []screening.Subject) string {
	h := sha256.New()
	for _, s := range subjects {
		q := s.Query
		h.Write([]byte(string(s.EntityType) + "\x00" + q.Name + "\x00" + q.Kind.String() + "\x00" + q.BirthDate.String() + "\x00" +
			strings.Join(q.Nationalities, ",") + "\x00" + strings.Join(q.Countries, ",") + "\x01"))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
