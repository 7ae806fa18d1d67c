package httpapi

import (
	"net/http"

	"github.com/vigil-aml/vigil/internal/schema"
)

// screeningRoutes are the screening endpoints (docs/screening.md): stored searches and ad hoc
// searches are reads; clearing a match is a write of the user's screening; a tenant's own list
// is configuration, like rules.
func (a *api) screeningRoutes() []route {
	return []route{
		{"/screening/searches/{searchId}", map[string]http.HandlerFunc{"GET": a.scoped(read, a.byID("searchId", a.svc.ScreeningSearch))}},
		{"/screening/search", map[string]http.HandlerFunc{"POST": a.scoped(read, a.withObject(http.StatusOK,
			func(r *http.Request, body schema.Object) ([]byte, error) {
				return a.svc.ScreenName(r.Context(), tenantOf(r), body)
			}))}},
		{"/screening/clearings", map[string]http.HandlerFunc{"POST": a.scoped(write, a.withObject(http.StatusCreated,
			func(r *http.Request, body schema.Object) ([]byte, error) {
				return a.svc.ClearMatch(r.Context(), tenantOf(r), body)
			}))}},
		{"/screening/lists", map[string]http.HandlerFunc{"GET": a.scoped(read, a.forTenant(a.svc.TenantLists))}},
		{"/screening/lists/{name}", map[string]http.HandlerFunc{"PUT": a.scoped(admin, a.withObject(http.StatusOK,
			func(r *http.Request, body schema.Object) ([]byte, error) {
				return a.svc.PutTenantList(r.Context(), tenantOf(r), r.PathValue("name"), body)
			}))}},
	}
}

// withObject reads a JSON object body (within the body limit) and answers with call's reply.
func (a *api) withObject(status int, call func(*http.Request, schema.Object) ([]byte, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readObject(w, r, a.maxBody)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		reply, err := call(r, body)
		a.reply(w, r, status, reply, err)
	}
}
