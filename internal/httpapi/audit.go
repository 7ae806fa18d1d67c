package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// auditPage handles GET /audit?after=SEQ&limit=N: a page of the tenant's sealed audit chain.
// It is an admin route (the scope checks, from the keys' scopes, go where the other admin
// routes' do).
func (a *api) auditPage(w http.ResponseWriter, r *http.Request) {
	after, limit, err := parseAuditQuery(r.URL.Query())
	if err != nil {
		writeError(w, r, a.log, err)
		return
	}
	reply, err := a.svc.AuditPage(r.Context(), tenantOf(r), after, limit)
	a.reply(w, r, http.StatusOK, reply, err)
}

// parseAuditQuery reads after (a sequence number, default 0) and limit (1 to
// vigil.MaxAuditPage, default vigil.DefaultAuditPage): whole decimal numbers only, since a
// sequence number rounded would skip or repeat records.
func parseAuditQuery(q url.Values) (after int64, limit int, err error) {
	var problems []string
	read := func(name string, def, lo, hi int64) int64 {
		v := q.Get(name)
		if v == "" {
			return def
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			problems = append(problems, fmt.Sprintf("%s: %q is not a whole number", name, v))
			return def
		}
		if n < lo || n > hi {
			problems = append(problems, fmt.Sprintf("%s: must be from %d to %d", name, lo, hi))
		}
		return n
	}
	after = read("after", 0, 0, math.MaxInt64)
	limit = int(read("limit", vigil.DefaultAuditPage, 1, vigil.MaxAuditPage))
	if problems != nil {
		return 0, 0, &vigil.Error{Code: vigil.CodeInvalid, Message: problems[0], Problems: problems}
	}
	return after, limit, nil
}
