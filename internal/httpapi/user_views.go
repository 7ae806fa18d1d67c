package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// searchParams are GET /users's query parameters.
var searchParams = []string{"q", "match", "type", "state", "kycStatus", "craRiskLevel", "tag", "ruleHit", "createdFrom", "createdTo", "cursor", "limit"}

// searchUsers handles GET /users (a Vigil extension).
func (a *api) searchUsers(w http.ResponseWriter, r *http.Request) {
	in, err := parseSearch(r.URL.Query())
	if err != nil {
		writeError(w, r, a.log, err)
		return
	}
	reply, err := a.svc.SearchUsers(r.Context(), tenantOf(r), in)
	a.reply(w, r, http.StatusOK, reply, err)
}

// parseSearch reads GET /users's query; each parameter may be given once.
func parseSearch(q url.Values) (vigil.UserSearch, error) {
	var problems []string
	for name, values := range q {
		if len(values) > 1 {
			problems = append(problems, fmt.Sprintf("%s: is given %d times; give it once", name, len(values)))
		}
	}
	in := vigil.UserSearch{Query: q.Get("q"), Type: q.Get("type"), State: q.Get("state"), KYCStatus: q.Get("kycStatus"),
		CRARiskLevel: q.Get("craRiskLevel"), Tag: q.Get("tag"), RuleHit: q.Get("ruleHit"), Cursor: q.Get("cursor")}
	switch q.Get("match") {
	case "", "prefix":
	case "exact":
		in.Exact = true
	default:
		problems = append(problems, fmt.Sprintf("match: %q is neither exact nor prefix", q.Get("match")))
	}
	number := func(name string, max int64) int64 {
		v := q.Get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > max {
			problems = append(problems, fmt.Sprintf("%s: %q is not a whole number from 0 to %d", name, v, max))
		}
		return n
	}
	in.CreatedFrom = number("createdFrom", maxEpochMillis)
	in.CreatedTo = number("createdTo", maxEpochMillis)
	in.Limit = int(number("limit", vigil.MaxSearchLimit))
	if q.Has("limit") && in.Limit == 0 && problems == nil {
		problems = append(problems, fmt.Sprintf("limit: must be from 1 to %d", vigil.MaxSearchLimit))
	}
	if problems != nil {
		return in, &vigil.Error{Code: vigil.CodeInvalid, Message: problems[0], Problems: problems}
	}
	return in, nil
}

// maxEpochMillis bounds times in queries: the year 9999.
const maxEpochMillis = 253402300799999

// getUser handles GET /{consumer|business}/users/{userId}: the current user, or with asOf the
// profile as it was then.
func (a *api) getUser(kind vigil.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		userID := r.PathValue("userId")
		if !q.Has("asOf") {
			reply, err := a.svc.User(r.Context(), tenantOf(r), kind, userID)
			a.reply(w, r, http.StatusOK, reply, err)
			return
		}
		v := q.Get("asOf")
		asOf, err := strconv.ParseInt(v, 10, 64)
		if err != nil || asOf < 0 || asOf > maxEpochMillis || len(q["asOf"]) > 1 {
			msg := fmt.Sprintf("asOf: %q is not one time in epoch milliseconds from 0 to %d", v, int64(maxEpochMillis))
			writeError(w, r, a.log, &vigil.Error{Code: vigil.CodeInvalid, Message: msg, Problems: []string{msg}})
			return
		}
		reply, err := a.svc.UserAsOf(r.Context(), tenantOf(r), kind, userID, asOf)
		a.reply(w, r, http.StatusOK, reply, err)
	}
}
