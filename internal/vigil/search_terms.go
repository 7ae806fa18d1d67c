package vigil

import (
	"slices"
	"strings"

	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/schema"
)

// A user's search terms are what GET /users finds it by: one string per searchable value,
// "field:value", kept in the store's term index next to the user's creation time and UID so a
// search reads the index range of one term, newest first, and never scans a tenant's users.
// The text fields (id, name, email) are lower-cased for a case-insensitive exact or prefix
// match; the filter fields are kept as sent.
const (
	termID    = "id:"
	termName  = "name:"
	termEmail = "email:"
	termType  = "type:"
	termState = "state:"
	termKYC   = "kyc:"
	termCRA   = "cra:"
	termTag   = "tag:"
	// termHit is a rule that hit at the user's latest write (its rule id and its instance id).
	termHit = "hit:"
	// TermShort is a text value's first ShortPrefix runes (of the id, of every name term, of
	// every email), so a search for a short prefix of many users reads one range newest first
	// instead of the union of every value that starts with it.
	TermShort = "pfx:"
	// TermAll is every user's term: listing without a filter reads its range.
	TermAll = "*"
)

// ShortPrefix is the length, in runes, of the TermShort terms. Three letters is where a prefix
// matches a few percent of a tenant's users ("mar", "smi"): too many to read and sort, too few
// to find a page quickly by walking all users newest first.
const ShortPrefix = 3

// maxTermValue bounds a term's value (in bytes) so one long field cannot bloat the index.
const maxTermValue = 200

// termSeparator joins a user's terms in UserRecord.Terms; no term contains it.
const termSeparator = "\n"

// searchTerms lists a user's search terms, sorted and without duplicates. hits are the rules that
// hit at the user's latest write: the index holds the latest results only, as GET of the user
// shows them, so a rule that stops hitting stops finding the user.
func searchTerms(userID string, kind Kind, profile schema.Object, hits []rules.Hit) []string {
	terms := []string{TermAll}
	add := func(prefix, value string) {
		value = strings.ReplaceAll(strings.TrimSpace(value), termSeparator, " ")
		if value == "" {
			return
		}
		if len(value) > maxTermValue {
			value = strings.ToValidUTF8(value[:maxTermValue], "")
		}
		terms = append(terms, prefix+value)
	}
	// text adds a text term and its short prefix.
	text := func(prefix, value string) {
		value = strings.TrimSpace(strings.ReplaceAll(value, termSeparator, " "))
		add(prefix, value)
		add(TermShort, shortPrefix(value))
	}
	text(termID, strings.ToLower(userID))
	add(termType, string(kind))
	name := userName(kind, profile)
	// The whole name and each of its later words, so "smi" finds "John Smith" too.
	words := strings.Fields(strings.ToLower(name))
	for i := range words {
		text(termName, strings.Join(words[i:], " "))
	}
	for _, email := range userEmails(kind, profile) {
		text(termEmail, strings.ToLower(email))
	}
	add(termState, stringAt(profile, "userStateDetails", "state"))
	add(termKYC, stringAt(profile, "kycStatusDetails", "status"))
	add(termCRA, stringAt(profile, "riskLevel"))
	if tags, ok := profile["tags"].([]any); ok {
		for _, t := range tags {
			tag, _ := t.(schema.Object)
			key, _ := tag["key"].(string)
			value, _ := tag["value"].(string)
			if key != "" {
				add(termTag, key)
				add(termTag, key+"="+value)
			}
		}
	}
	for _, h := range hits {
		if h.IsShadow {
			continue // a shadow rule's result is not the user's, as in the responses
		}
		add(termHit, h.RuleID)
		add(termHit, h.RuleInstanceID)
	}
	if !slices.ContainsFunc(terms, func(t string) bool { return strings.HasPrefix(t, TermShort) }) {
		terms = append(terms, TermShort) // an id of blanks has no short term; Indexed needs one
	}
	slices.Sort(terms)
	return slices.Compact(terms)
}

// shortPrefix is s's first ShortPrefix runes (all of s when shorter). Stored as a term it loses
// a trailing space, as every term does; shortTerm does the same to a search text, so a text
// and every value it is a prefix of have the same short term.
func shortPrefix(s string) string {
	n := 0
	for i := range s {
		if n == ShortPrefix {
			return s[:i]
		}
		n++
	}
	return s
}

// shortTerm is the TermShort term of every value that starts with text, when text has at
// least ShortPrefix runes.
func shortTerm(text string) string { return TermShort + strings.TrimSpace(shortPrefix(text)) }

// userName is a consumer's full name or a business's legal name ("" when none).
func userName(kind Kind, profile schema.Object) string {
	if kind == Business {
		return stringAt(profile, "legalEntity", "companyGeneralDetails", "legalName")
	}
	var parts []string
	for _, f := range []string{"firstName", "middleName", "lastName"} {
		if s := stringAt(profile, "userDetails", "name", f); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// userEmails lists a user's email addresses.
func userEmails(kind Kind, profile schema.Object) []string {
	details, _ := profile["contactDetails"].(schema.Object)
	if kind == Business {
		entity, _ := profile["legalEntity"].(schema.Object)
		details, _ = entity["contactDetails"].(schema.Object)
	}
	ids, _ := details["emailIds"].([]any)
	var out []string
	for _, id := range ids {
		if s, ok := id.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// stringAt reads the string at a path of nested objects ("" when absent or not a string).
func stringAt(obj schema.Object, path ...string) string {
	for i, k := range path {
		v := obj[k]
		if i == len(path)-1 {
			s, _ := v.(string)
			return s
		}
		if obj, _ = v.(schema.Object); obj == nil {
			return ""
		}
	}
	return ""
}

// DiffTerms lists the terms of after that before lacks (added) and the reverse (removed); both
// are sorted, as UserRecord.Terms is.
func DiffTerms(before, after []string) (added, removed []string) {
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		switch {
		case j == len(after) || (i < len(before) && before[i] < after[j]):
			removed = append(removed, before[i])
			i++
		case i == len(before) || after[j] < before[i]:
			added = append(added, after[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

// TermsBefore returns the terms u had before its write (u.Terms less TermsAdded, with
// TermsRemoved), joined as UserRecord.Terms: what the term index holds for the user until the
// write's change is applied to it.
func TermsBefore(u UserRecord) string {
	added := make(map[string]bool, len(u.TermsAdded))
	for _, term := range u.TermsAdded {
		added[term] = true
	}
	var before []string
	for _, term := range SplitTerms(u.Terms) {
		if !added[term] {
			before = append(before, term)
		}
	}
	before = append(before, u.TermsRemoved...)
	slices.Sort(before)
	return strings.Join(slices.Compact(before), termSeparator)
}

// Indexed tells whether a user's terms (UserRecord.Terms) are those of this version: every user
// has a short prefix term (of its id) since they were added, always after "*" and a newline.
func Indexed(terms string) bool { return strings.Contains(terms, termSeparator+TermShort) }

// SplitTerms lists the terms of UserRecord.Terms.
func SplitTerms(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, termSeparator)
}

// setTerms gives rec the search terms of profile and of the rules that hit at this write, and the
// changes from its current ones, for the store to apply with the write.
func setTerms(rec *UserRecord, profile schema.Object, hits []rules.Hit) {
	after := searchTerms(rec.UserID, rec.Kind, profile, hits)
	rec.TermsAdded, rec.TermsRemoved = DiffTerms(SplitTerms(rec.Terms), after)
	rec.Terms = strings.Join(after, termSeparator)
}
