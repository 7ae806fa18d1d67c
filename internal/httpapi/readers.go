package httpapi

import (
	"context"
	"net/http"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// The handlers that only read (or act on) one resource differ in nothing but the service call
// and the path value naming the resource, so they are built from these instead of written out.

// fetchByID returns the JSON of the tenant's resource with the given id.
type fetchByID func(ctx context.Context, tenant vigil.Tenant, id string) ([]byte, error)

// forTenant answers 200 with what fetch returns for the caller's tenant.
func (a *api) forTenant(fetch func(context.Context, vigil.Tenant) ([]byte, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reply, err := fetch(r.Context(), tenantOf(r))
		a.reply(w, r, http.StatusOK, reply, err)
	}
}

// byID answers 200 with what fetch returns for the resource named by the path value param.
func (a *api) byID(param string, fetch fetchByID) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reply, err := fetch(r.Context(), tenantOf(r), r.PathValue(param))
		a.reply(w, r, http.StatusOK, reply, err)
	}
}

// removeByID answers 204 once remove has deleted the resource named by the path value param.
func (a *api) removeByID(param string, remove func(context.Context, vigil.Tenant, string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := remove(r.Context(), tenantOf(r), r.PathValue(param)); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// ofKind binds a user kind (consumer or business) to a service call that takes one.
func ofKind(kind vigil.Kind, fetch func(context.Context, vigil.Tenant, vigil.Kind, string) ([]byte, error)) fetchByID {
	return func(ctx context.Context, tenant vigil.Tenant, id string) ([]byte, error) {
		return fetch(ctx, tenant, kind, id)
	}
}
