package vigil

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// UserQuery is what Store.SearchUsers matches: users with every term of All and, when Any is
// not empty, one of Any (by prefix when AnyPrefix), created within [CreatedFrom, CreatedTo]
// (milliseconds; 0 for no bound), and after the cursor (AfterCreatedAt, AfterUID) in the order
// newest first, when AfterUID is set.
type UserQuery struct {
	All       []string
	Any       []string
	AnyPrefix bool
	// AnyByUser checks Any on each user of the driving range (the first of All, or every user)
	// instead of reading Any's ranges and sorting what they hold: the store sets it when a
	// prefix matches so many users that sorting them all would cost more than walking the
	// newest users until a page matches.
	AnyByUser bool
	// AnyDrive is a term every user matching Any has (the text's TermShort term), or "": with
	// AnyByUser, the search walks its range instead of every user's.
	AnyDrive string

	CreatedFrom, CreatedTo int64
	AfterCreatedAt         int64
	AfterUID               string
	Limit                  int
}

// TermPrefixEnd is the exclusive upper bound of the terms starting with prefix: no valid UTF-8
// string starting with prefix sorts, byte by byte, at or after it.
func TermPrefixEnd(prefix string) string { return prefix + string(utf8.MaxRune) }

// UserSearch is a GET /users request as the API reads it.
type UserSearch struct {
	// Query is a user id, name or email (case-insensitive), matched exactly when Exact and by
	// prefix otherwise.
	Query string
	Exact bool
	// The filters, each an exact value ("" for none). Tag is a key or key=value; RuleHit is a
	// rule id or rule instance id among the hits of the user's latest write.
	Type, State, KYCStatus, CRARiskLevel, Tag, RuleHit string
	// CreatedFrom and CreatedTo bound when Vigil first stored the user (milliseconds, inclusive;
	// 0 for no bound).
	CreatedFrom, CreatedTo int64
	Cursor                 string
	Limit                  int
}

// The page sizes of GET /users.
const (
	DefaultSearchLimit = 25
	MaxSearchLimit     = 100
)

// userSummary is one user in a GET /users answer.
type userSummary struct {
	UserID           string `json:"userId"`
	Type             Kind   `json:"type"`
	Name             string `json:"name,omitempty"`
	Email            string `json:"email,omitempty"`
	State            string `json:"state,omitempty"`
	KYCStatus        string `json:"kycStatus,omitempty"`
	CRARiskLevel     string `json:"craRiskLevel,omitempty"`
	CreatedTimestamp int64  `json:"createdTimestamp"`
	// CreatedAt is when Vigil first stored the user, UpdatedAt its last write (its last event).
	CreatedAt int64 `json:"createdAt"`
	UpdatedAt int64 `json:"updatedAt"`
}

// userPage is the answer of GET /users.
type userPage struct {
	Users []userSummary `json:"users"`
	// Next is the cursor of the next page; absent on the last one.
	Next string `json:"next,omitempty"`
}

// SearchUsers handles GET /users: the tenant's users matching the search, newest first, one
// page at a time.
func (s *Service) SearchUsers(ctx context.Context, tenant Tenant, in UserSearch) ([]byte, error) {
	q, err := in.query()
	if err != nil {
		return nil, err
	}
	q.Limit++ // one more tells whether there is a next page
	recs, err := s.store.SearchUsers(ctx, tenant.ID, q)
	if err != nil {
		return nil, err
	}
	page := userPage{Users: make([]userSummary, 0, len(recs))}
	if len(recs) == q.Limit {
		recs = recs[:len(recs)-1]
		last := recs[len(recs)-1]
		page.Next = encodeCursor(last.CreatedAt, last.UID)
	}
	for _, rec := range recs {
		profile, err := decodeStored(rec.Profile)
		if err != nil {
			return nil, fmt.Errorf("decode user %q: %w", rec.UserID, err)
		}
		sum := userSummary{UserID: rec.UserID, Type: rec.Kind, Name: userName(rec.Kind, profile),
			State: stringAt(profile, "userStateDetails", "state"), KYCStatus: stringAt(profile, "kycStatusDetails", "status"),
			CRARiskLevel: stringAt(profile, "riskLevel"), CreatedTimestamp: millis(profile["createdTimestamp"]),
			CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt}
		if emails := userEmails(rec.Kind, profile); len(emails) > 0 {
			sum.Email = emails[0]
		}
		page.Users = append(page.Users, sum)
	}
	return mustEncode(page), nil
}

// query checks a search and turns it into the store's query.
func (in UserSearch) query() (UserQuery, error) {
	q := UserQuery{CreatedFrom: in.CreatedFrom, CreatedTo: in.CreatedTo, Limit: in.Limit}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultSearchLimit
	case q.Limit < 0 || q.Limit > MaxSearchLimit:
		return q, invalidf("limit", "must be between 1 and %d", MaxSearchLimit)
	}
	if in.CreatedFrom < 0 || in.CreatedTo < 0 || (in.CreatedTo > 0 && in.CreatedTo < in.CreatedFrom) {
		return q, invalidf("createdFrom", "createdFrom and createdTo must be epoch milliseconds with createdFrom <= createdTo")
	}
	if in.Type != "" && in.Type != string(Consumer) && in.Type != string(Business) {
		return q, invalidf("type", "must be CONSUMER or BUSINESS")
	}
	// The first filter drives the search (its users are read newest first, the others checked
	// on each), so the likeliest to be rare come first and the type, half the users, last.
	for _, f := range []struct{ name, prefix, value string }{
		{"tag", termTag, in.Tag}, {"ruleHit", termHit, in.RuleHit}, {"kycStatus", termKYC, in.KYCStatus}, {"state", termState, in.State},
		{"craRiskLevel", termCRA, in.CRARiskLevel}, {"type", termType, in.Type},
	} {
		if f.value == "" {
			continue
		}
		if len(f.value) > maxTermValue || strings.Contains(f.value, termSeparator) || !utf8.ValidString(f.value) {
			return q, invalidf(f.name, "must be at most %d bytes of UTF-8 on one line", maxTermValue)
		}
		q.All = append(q.All, f.prefix+f.value)
	}
	if text := strings.ToLower(strings.TrimSpace(in.Query)); text != "" {
		if len(text) > maxTermValue || strings.Contains(text, termSeparator) || !utf8.ValidString(text) {
			return q, invalidf("q", "must be at most %d bytes of UTF-8 on one line", maxTermValue)
		}
		q.Any = []string{termID + text, termName + text, termEmail + text}
		q.AnyPrefix = !in.Exact
		switch n := utf8.RuneCountInString(text); {
		case !q.AnyPrefix || n < ShortPrefix:
		case n == ShortPrefix:
			// The short term is the search itself: one range, read like a filter's.
			q.All = append([]string{shortTerm(text)}, q.All...)
			q.Any, q.AnyPrefix = nil, false
		default:
			q.AnyDrive = shortTerm(text)
		}
	}
	if in.Cursor != "" {
		var ok bool
		if q.AfterCreatedAt, q.AfterUID, ok = decodeCursor(in.Cursor); !ok {
			return q, invalidf("cursor", "is not a cursor this server issued; pass the next value of a previous page unchanged")
		}
	}
	return q, nil
}

// encodeCursor makes the opaque cursor of the page after the user (createdAt, uid). It names a
// position in a stable order, so pages never repeat or skip a user that existed throughout.
func encodeCursor(createdAt int64, uid string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(createdAt, 10) + "." + uid))
}

func decodeCursor(c string) (int64, string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", false
	}
	at, uid, ok := strings.Cut(string(raw), ".")
	createdAt, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || uid == "" || createdAt < 0 || len(uid) > 64 || !utf8.ValidString(uid) {
		return 0, "", false
	}
	return createdAt, uid, true
}
