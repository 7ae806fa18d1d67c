package vigil

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/screening"
)

// ScreeningSearch handles GET /screening/searches/{searchId}: a search that matched, made when a
// user was screened, with every matched entry, its score, list, programmes and evidence.
func (s *Service) ScreeningSearch(ctx context.Context, tenant Tenant, searchID string) ([]byte, error) {
	r, err := s.store.ScreeningSearch(ctx, tenant.ID, searchID)
	if errors.Is(err, ErrNotFound) {
		return nil, notFoundf("No screening search with searchId %q", searchID)
	}
	if err != nil {
		return nil, err
	}
	return r.Body, nil
}

// MaxScreenedName bounds the name of an ad hoc search, in characters.
const MaxScreenedName = 256

// ScreenName handles POST /screening/search: one name screened ad hoc against the lists the
// tenant sees, with its optional type (PERSON or BUSINESS), date of birth and country. Nothing
// is stored: the answer carries every match with its explanation.
func (s *Service) ScreenName(ctx context.Context, tenant Tenant, body schema.Object) ([]byte, error) {
	var problems []string
	for k := range body {
		switch k {
		case "name", "type", "dateOfBirth", "country":
		default:
			problems = append(problems, k+": unknown field (name, type, dateOfBirth and country are read)")
		}
	}
	q := screening.Query{}
	name, ok := body["name"].(string)
	switch {
	case !ok:
		problems = append(problems, "name: required, a string")
	case strings.TrimSpace(name) == "":
		problems = append(problems, "name: must not be empty")
	case utf8.RuneCountInString(name) > MaxScreenedName:
		problems = append(problems, "name: longer than 256 characters")
	}
	q.Name = name
	if v, present := body["type"]; present {
		switch v {
		case "PERSON":
			q.Kind = screening.KindPerson
		case "BUSINESS":
			q.Kind = screening.KindOrganisation
		default:
			problems = append(problems, "type: must be PERSON or BUSINESS")
		}
	}
	if v, present := body["dateOfBirth"]; present {
		str, _ := v.(string)
		d, ok := screening.ParseISODate(str)
		if !ok || len(str) > 10 {
			problems = append(problems, "dateOfBirth: must be YYYY, YYYY-MM or YYYY-MM-DD")
		}
		q.BirthDate = d
	}
	if v, present := body["country"]; present {
		c, _ := v.(string)
		if len(c) != 2 {
			problems = append(problems, "country: must be an ISO 3166 alpha-2 code")
		}
		q.Countries, q.Nationalities = []string{c}, []string{c}
	}
	if problems != nil {
		return nil, invalidLines(problems)
	}
	matches := s.lists.search(tenant.ID, q, 0)
	const maxHits = 50
	if len(matches) > maxHits {
		matches = matches[:maxHits]
	}
	request := map[string]any{"name": q.Name}
	for _, k := range []string{"type", "dateOfBirth", "country"} {
		if v, ok := body[k]; ok {
			request[k] = v
		}
	}
	return mustEncode(map[string]any{"request": request, "hits": s.searchHits(matches)}), nil
}

// ScreeningSearches counts the searches this process made (writes, ongoing screening and ad
// hoc): a write that changes no screened field makes none.
func (s *Service) ScreeningSearches() int64 { return s.lists.searches.Load() }
