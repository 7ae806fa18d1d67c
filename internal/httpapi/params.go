package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// Query parameters shared by several routes.
var (
	userParams  = []string{"lockCraRiskLevel", "lockKycRiskLevel", "validateUserId", "_krsOnly"}
	eventParams = []string{"allowUserTypeConversion", "lockKycRiskLevel", "lockCraRiskLevel", "changeUserId"}
	batchParams = []string{"lockCraRiskLevel", "lockKycRiskLevel"}
	pageParams  = []string{"page", "pageSize"}
)

// queryParams names the query parameters each route (its mux pattern) accepts. Any other is
// refused with 400, so a misspelled compliance flag (lockCRARiskLevel) cannot be ignored
// unnoticed; a route not listed here takes none. `_krsOnly` is in Flagright's docs (no SDK
// sends it) and is accepted and ignored (docs/decisions.md).
var queryParams = map[string][]string{
	"POST /consumer/users":                      userParams,
	"POST /business/users":                      userParams,
	"POST /events/consumer/user":                eventParams,
	"POST /events/business/user":                eventParams,
	"POST /batch/consumer/users":                batchParams,
	"POST /batch/business/users":                batchParams,
	"POST /batch/events/consumer/user":          batchParams,
	"POST /batch/events/business/user":          batchParams,
	"GET /batch/consumer/users/{batchId}":       pageParams,
	"GET /batch/business/users/{batchId}":       pageParams,
	"GET /batch/events/consumer/user/{batchId}": pageParams,
	"GET /batch/events/business/user/{batchId}": pageParams,
	"GET /webhooks/{id}/deliveries":             {"status"},
	"GET /audit":                                {"after", "limit"},
	"GET /users":                                searchParams,
	"GET /consumer/users/{userId}":              {"asOf"},
	"GET /business/users/{userId}":              {"asOf"},
}

// onlyParams refuses a request to the route pattern whose query names a parameter the route
// does not accept, or cannot be parsed, before h runs.
func (a *api) onlyParams(pattern string, h http.HandlerFunc) http.HandlerFunc {
	accepted := queryParams[pattern]
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" {
			if err := checkQuery(r.URL.RawQuery, pattern, accepted); err != nil {
				writeError(w, r, a.log, err)
				return
			}
		}
		h(w, r)
	}
}

// checkQuery lists every parameter of a raw query that is not accepted, with the accepted ones
// (and the accepted one it differs from only in case, the likeliest slip).
func checkQuery(raw, pattern string, accepted []string) error {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return &vigil.Error{Code: vigil.CodeInvalid, Message: "The query string is malformed: " + err.Error()}
	}
	var unknown []string
	for name := range q {
		if !contains(accepted, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	takes := "takes no query parameters"
	if len(accepted) > 0 {
		takes = "accepts only " + strings.Join(accepted, ", ")
	}
	problems := make([]string, len(unknown))
	for i, name := range unknown {
		problems[i] = fmt.Sprintf("%s: is not a query parameter of %s, which %s", name, pattern, takes)
		for _, a := range accepted {
			if strings.EqualFold(a, name) {
				problems[i] += fmt.Sprintf(" (did you mean %s?)", a)
			}
		}
	}
	return &vigil.Error{Code: vigil.CodeInvalid, Message: problems[0], Problems: problems}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
