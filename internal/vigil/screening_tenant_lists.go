package vigil

import (
	"context"
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/screening"
)

// AuditScreeningListPut is the audit action of a tenant's own list put.
const AuditScreeningListPut = "screening_list.put"

// MaxTenantListEntries bounds the entries of a tenant's own list.
const MaxTenantListEntries = 10000

// MaxTenantLists bounds a tenant's own lists: every process holds every list's entries in its
// index, so one tenant's lists must not grow the memory of all without end.
const MaxTenantLists = 20

// tenantListName is what a tenant's list may be called (it is part of every hit id).
var tenantListName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// PutTenantList handles PUT /screening/lists/{name}: a tenant's own list (names, each with an
// optional date of birth and country), screening only that tenant's users. The body is
// {"kind": "SANCTIONS"|"PEP", "entries": [{"id"?, "name", "type"?, "dateOfBirth"?, "country"?}]};
// an entry without an id is numbered by its position. It replaces the list's earlier version
// as a delta, and the new and changed entries are screened against the tenant's users.
func (s *Service) PutTenantList(ctx context.Context, tenant Tenant, name string, body schema.Object) ([]byte, error) {
	var problems []string
	if !tenantListName.MatchString(name) {
		problems = append(problems, "name: 1 to 64 letters, digits, '-' or '_'")
	}
	for k := range body {
		if k != "kind" && k != "entries" {
			problems = append(problems, k+": unknown field (kind and entries are read)")
		}
	}
	kind, _ := body["kind"].(string)
	if kind != ListSanctions && kind != ListPEP {
		problems = append(problems, "kind: must be SANCTIONS or PEP")
	}
	items, ok := body["entries"].([]any)
	switch {
	case !ok:
		problems = append(problems, "entries: required, an array")
	case len(items) > MaxTenantListEntries:
		problems = append(problems, fmt.Sprintf("entries: more than %d", MaxTenantListEntries))
	}
	if problems != nil {
		return nil, invalidLines(problems)
	}
	listID := tenantListID(tenant.ID, name)
	if err := s.roomForTenantList(ctx, tenant, listID); err != nil {
		return nil, err
	}
	entries := make([]screening.Entry, 0, len(items))
	for i, it := range items {
		at := fmt.Sprintf("entries[%d]", i)
		item, ok := it.(schema.Object)
		if !ok {
			problems = append(problems, at+": must be an object")
			continue
		}
		e := screening.Entry{ID: fmt.Sprint(i + 1), Source: listID, Programmes: []string{name}, Kind: screening.KindPerson,
			Sanctioned: kind == ListSanctions, PEP: kind == ListPEP}
		for k, v := range item {
			str, isString := v.(string)
			switch {
			case !isString:
				problems = append(problems, at+"."+k+": must be a string")
			case k == "id":
				e.ID = str
			case k == "name":
				e.Name = strings.TrimSpace(str)
			case k == "type" && str == "PERSON":
			case k == "type" && str == "BUSINESS":
				e.Kind = screening.KindOrganisation
			case k == "dateOfBirth":
				d, ok := screening.ParseISODate(str)
				if !ok || len(str) > 10 {
					problems = append(problems, at+".dateOfBirth: must be YYYY, YYYY-MM or YYYY-MM-DD")
				}
				e.BirthDates = []screening.Date{d}
			case k == "country":
				if len(str) != 2 {
					problems = append(problems, at+".country: must be an ISO 3166 alpha-2 code")
				}
				e.Countries = []string{screening.NormalizeCountry(str)}
				e.Nationalities = e.Countries
			default:
				problems = append(problems, at+"."+k+": unknown field or value (id, name, type PERSON or BUSINESS, dateOfBirth, country)")
			}
		}
		if e.Name == "" || utf8.RuneCountInString(e.Name) > MaxScreenedName {
			problems = append(problems, at+".name: required, at most 256 characters")
		}
		if e.ID == "" || len(e.ID) > 128 {
			problems = append(problems, at+".id: 1 to 128 characters")
		}
		entries = append(entries, e)
		if len(problems) > 20 {
			break
		}
	}
	if problems != nil {
		return nil, invalidLines(problems)
	}
	l := ScreeningList{ID: listID, TenantID: tenant.ID, Source: listID, Name: name, Kind: kind}
	c, err := s.putList(ctx, l, entries, func(tx Tx) error {
		digest := sha256.Sum256([]byte(listVersion(entries)))
		return s.Audit(ctx, tx, tenant.ID, AuditScreeningListPut, "screening_list/"+name, digest[:])
	})
	if err != nil {
		return nil, err
	}
	if err := s.afterListChanges(ctx, []ListChange{c}); err != nil {
		return nil, err
	}
	return mustEncode(listJSON(c.List, &c)), nil
}

// roomForTenantList refuses a new list past MaxTenantLists; a list that exists is replaced.
// Two new lists put at once may both pass the count: the bound is exceeded by at most the
// requests in flight, which their own limits bound.
func (s *Service) roomForTenantList(ctx context.Context, tenant Tenant, listID string) error {
	ls, err := s.store.ScreeningLists(ctx)
	if err != nil {
		return err
	}
	own := 0
	for _, l := range ls {
		if l.ID == listID {
			return nil
		}
		if l.TenantID == tenant.ID {
			own++
		}
	}
	if own >= MaxTenantLists {
		msg := fmt.Sprintf("This tenant already has %d screening lists, the most it may have; replace one of them instead", own)
		return &Error{Code: CodeInvalid, Message: msg, Problems: []string{fmt.Sprintf("screening lists: at most %d per tenant", MaxTenantLists)}}
	}
	return nil
}

// listJSON is a list as the API shows it.
func listJSON(l ScreeningList, c *ListChange) map[string]any {
	out := map[string]any{"listId": l.ID, "name": l.Name, "kind": l.Kind, "entries": l.Entries,
		"lastRefreshedAt": l.RefreshedAt, "version": l.Version}
	if l.Published != "" {
		out["publishedAt"] = l.Published
	}
	if l.Format != "" {
		out["format"] = l.Format
	}
	if c != nil {
		out["added"], out["changed"], out["removed"] = c.Added, c.Changed, c.Removed
	}
	return out
}

// TenantLists handles GET /screening/lists: the lists that screen the tenant's users, official
// and its own.
func (s *Service) TenantLists(ctx context.Context, tenant Tenant) ([]byte, error) {
	ls, err := s.store.ScreeningLists(ctx)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, l := range ls {
		if visibleTo(l.ID, tenant.ID) {
			out = append(out, listJSON(l, nil))
		}
	}
	return mustEncode(map[string]any{"lists": out}), nil
}
