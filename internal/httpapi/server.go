package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// DefaultMaxBody is the default limit of a single request's body.
const DefaultMaxBody = 1 << 20

// DefaultMaxBatchBody is the default limit of a batch request's body.
const DefaultMaxBatchBody = 32 << 20

// Options configures the API handler.
type Options struct {
	// MaxBody limits single-request bodies in bytes; 0 means DefaultMaxBody.
	MaxBody int64
	// MaxBatchBody limits batch bodies in bytes; 0 means DefaultMaxBatchBody.
	MaxBatchBody int64
	Logger       *slog.Logger
	// Metrics, when set, serves GET /metrics (no key needed, like /healthz).
	Metrics http.Handler
	// Observe, when set, is told every request's route pattern, status and duration.
	Observe func(route string, status int, d time.Duration)
	// Limits bound concurrent requests and each request's time (limits.go).
	Limits Limits
	// RateLimiter, when set, holds each tenant to its rate limit right after authentication.
	RateLimiter *RateLimiter
	// Mount serves other handlers under path prefixes ending in "/" (the console), inside the
	// same request ids, access log, recovery and limits as the API.
	Mount map[string]http.Handler
}

// api holds what every handler needs.
type api struct {
	svc          *vigil.Service
	maxBody      int64
	maxBatchBody int64
	log          *slog.Logger
	observe      func(route string, status int, d time.Duration)
	limiter      *limiter
	rates        *RateLimiter
}

// route is one path with the handler for each method it serves.
type route struct {
	path    string
	methods map[string]http.HandlerFunc
}

// New returns the HTTP handler of the whole API.
func New(svc *vigil.Service, opts Options) http.Handler {
	a := &api{svc: svc, maxBody: opts.MaxBody, log: opts.Logger, observe: opts.Observe, limiter: newLimiter(opts.Limits),
		rates: opts.RateLimiter}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBody
	}
	a.maxBatchBody = opts.MaxBatchBody
	if a.maxBatchBody <= 0 {
		a.maxBatchBody = DefaultMaxBatchBody
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	routes := []route{
		{"/healthz", map[string]http.HandlerFunc{"GET": a.healthz}},
		{"/openapi.json", map[string]http.HandlerFunc{"GET": a.openAPI}},
		{"/risk/model", map[string]http.HandlerFunc{"GET": a.scoped(read, a.forTenant(a.svc.RiskModel)), "PUT": a.scoped(admin, a.putRiskModel)}},
		{"/risk/model/versions", map[string]http.HandlerFunc{"GET": a.scoped(read, a.forTenant(a.svc.RiskModelVersions))}},
		{"/audit", map[string]http.HandlerFunc{"GET": a.scoped(admin, a.auditPage)}},
		{"/users", map[string]http.HandlerFunc{"GET": a.scoped(read, a.searchUsers)}},
		{"/rules", map[string]http.HandlerFunc{"GET": a.scoped(read, a.forTenant(a.svc.ListRules))}},
		{"/rules/{ruleInstanceId}", map[string]http.HandlerFunc{"GET": a.scoped(read, a.byID("ruleInstanceId", a.svc.GetRule)), "PUT": a.scoped(admin, a.putRule),
			"DELETE": a.scoped(admin, a.removeByID("ruleInstanceId", a.svc.DeleteRule))}},
		{"/rules/{ruleInstanceId}/versions", map[string]http.HandlerFunc{"GET": a.scoped(read, a.byID("ruleInstanceId", a.svc.RuleVersions))}},
		{"/webhooks", map[string]http.HandlerFunc{"GET": a.scoped(admin, a.forTenant(a.svc.ListWebhooks)), "POST": a.scoped(admin, a.createWebhook)}},
		{"/webhooks/{id}", map[string]http.HandlerFunc{"GET": a.scoped(admin, a.byID("id", a.svc.GetWebhook)), "DELETE": a.scoped(admin, a.removeByID("id", a.svc.DeleteWebhook))}},
		{"/webhooks/{id}/rotate", map[string]http.HandlerFunc{"POST": a.scoped(admin, a.byID("id", a.svc.RotateWebhookSecret))}},
		{"/webhooks/{id}/deliveries", map[string]http.HandlerFunc{"GET": a.scoped(admin, a.webhookDeliveries)}},
		{"/webhook-deliveries/{deliveryId}", map[string]http.HandlerFunc{"GET": a.scoped(admin, a.byID("deliveryId", a.svc.WebhookDelivery))}},
		{"/api-keys", map[string]http.HandlerFunc{"GET": a.scoped(admin, a.listKeys), "POST": a.scoped(admin, a.createKey)}},
		{"/api-keys/{keyId}", map[string]http.HandlerFunc{"DELETE": a.scoped(admin, a.revokeKey)}},
		{"/webhook-deliveries/{deliveryId}/retry", map[string]http.HandlerFunc{"POST": a.scoped(admin, a.byID("deliveryId", a.svc.RetryWebhookDelivery))}},
	}
	routes = append(routes, a.screeningRoutes()...)
	if opts.Metrics != nil {
		routes = append(routes, route{"/metrics", map[string]http.HandlerFunc{"GET": opts.Metrics.ServeHTTP}})
	}
	for _, k := range []struct {
		kind  vigil.Kind
		users string
		event string
	}{
		{vigil.Consumer, "/consumer/users", "/events/consumer/user"},
		{vigil.Business, "/business/users", "/events/business/user"},
	} {
		routes = append(routes,
			route{k.users, map[string]http.HandlerFunc{"POST": a.scoped(write, a.createUser(k.kind))}},
			route{k.users + "/{userId}", map[string]http.HandlerFunc{"GET": a.scoped(read, a.getUser(k.kind)),
				"DELETE": a.scoped(admin, a.byID("userId", ofKind(k.kind, a.svc.EraseUser)))}},
			route{k.users + "/{userId}/risk", map[string]http.HandlerFunc{"GET": a.scoped(read, a.byID("userId", ofKind(k.kind, a.svc.ExplainRisk)))}},
			route{k.users + "/{userId}/timeline", map[string]http.HandlerFunc{"GET": a.scoped(read, a.byID("userId", ofKind(k.kind, a.svc.Timeline)))}},
			route{k.users + "/{userId}/rules", map[string]http.HandlerFunc{"GET": a.scoped(read, a.byID("userId", ofKind(k.kind, a.svc.UserRules)))}},
			route{k.event, map[string]http.HandlerFunc{"POST": a.scoped(write, a.createEvent(k.kind))}},
			route{k.event + "/{eventId}", map[string]http.HandlerFunc{"GET": a.scoped(read, a.byID("eventId", ofKind(k.kind, a.svc.Event)))}},
		)
	}
	for _, b := range []struct {
		kind vigil.BatchKind
		path string
	}{
		{vigil.BatchConsumerUsers, "/batch/consumer/users"},
		{vigil.BatchBusinessUsers, "/batch/business/users"},
		{vigil.BatchConsumerEvents, "/batch/events/consumer/user"},
		{vigil.BatchBusinessEvents, "/batch/events/business/user"},
	} {
		routes = append(routes,
			route{b.path, map[string]http.HandlerFunc{"POST": a.scoped(write, a.batchTurn(a.createBatch(b.kind)))}},
			route{b.path + "/{batchId}", map[string]http.HandlerFunc{"GET": a.scoped(read, a.getBatch(b.kind))}},
		)
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		var allowed []string
		for method, h := range rt.methods {
			mux.HandleFunc(method+" "+rt.path, a.onlyParams(method+" "+rt.path, h))
			allowed = append(allowed, method)
		}
		sort.Strings(allowed)
		mux.HandleFunc(rt.path, methodNotAllowed(strings.Join(allowed, ", ")))
	}
	for prefix, h := range opts.Mount {
		mux.Handle(prefix, h) // the prefix without its "/" redirects to it (ServeMux)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{Message: fmt.Sprintf("No route for %s %s", r.Method, r.URL.Path)})
	})
	// The request id first, so every line logged for a request carries it; the access log
	// then sees every answer, refusals of the in-flight bound included.
	return a.withRequestID(a.logRequests(a.recoverer(a.bound(recordRoute(mux)))))
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Message: fmt.Sprintf("Method %s is not allowed here; use %s", r.Method, allow)})
	}
}

type tenantKey struct{}

// The scopes, short for the route table.
const (
	read  = vigil.ScopeRead
	write = vigil.ScopeWrite
	admin = vigil.ScopeAdmin
)

// scoped resolves the x-api-key header to a key and its tenant before the handler runs, holds
// the tenant to its rate limit (429) and refuses a key without the route's scope (403), all
// before a request's body is read.
func (a *api) scoped(scope vigil.Scope, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, key, err := a.svc.AuthenticateKey(r.Context(), r.Header.Get("x-api-key"))
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if c := vigil.CallerOf(r.Context()); c != nil {
			c.Tenant, c.Actor = t.Name, "key:"+key.ID
		}
		if !a.rates.admit(w, t.ID) {
			return
		}
		if !key.Allows(scope) {
			writeError(w, r, a.log, &vigil.Error{Code: vigil.CodeForbidden,
				Message: fmt.Sprintf("This API key does not have the %s scope this call needs (it has: %s)", scope, vigil.JoinScopes(key.Scopes))})
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, t)))
	}
}

func tenantOf(r *http.Request) vigil.Tenant { return r.Context().Value(tenantKey{}).(vigil.Tenant) }

func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusOK, []byte(`{"status":"ok"}`))
}

func (a *api) openAPI(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusOK, schema.OpenAPI())
}

func (a *api) createUser(kind vigil.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if flags, body, ok := a.request(w, r, userFlags, a.maxBody); ok {
			reply, err := a.svc.CreateUser(r.Context(), tenantOf(r), kind, body, flags)
			a.reply(w, r, http.StatusCreated, reply, err)
		}
	}
}

func (a *api) createEvent(kind vigil.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		flags, body, ok := a.request(w, r, eventFlags, a.maxBody)
		if !ok {
			return
		}
		reply, err := a.svc.ApplyEvent(r.Context(), tenantOf(r), kind, body, flags)
		if err == nil {
			w.Header().Set("Location", reply.Location)
		}
		a.reply(w, r, http.StatusCreated, reply.Body, err)
	}
}

// putRiskModel takes a model as JSON or YAML (so its body is not decoded as JSON here).
func (a *api) putRiskModel(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(w, r, a.maxBody)
	if err != nil {
		writeError(w, r, a.log, err)
		return
	}
	reply, err := a.svc.PutRiskModel(r.Context(), tenantOf(r), data)
	a.reply(w, r, http.StatusOK, reply, err)
}

func (a *api) createBatch(kind vigil.BatchKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if flags, body, ok := a.request(w, r, batchFlags, a.maxBatchBody); ok {
			reply, err := a.svc.Batch(r.Context(), tenantOf(r), kind, body, flags)
			a.reply(w, r, http.StatusCreated, reply, err)
		}
	}
}

func (a *api) getBatch(kind vigil.BatchKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page, pageSize, err := parsePage(r.URL.Query())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		reply, err := a.svc.BatchPage(r.Context(), tenantOf(r), kind, r.PathValue("batchId"), page, pageSize)
		a.reply(w, r, http.StatusOK, reply, err)
	}
}

func (a *api) createWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := readObject(w, r, a.maxBody)
	if err != nil {
		writeError(w, r, a.log, err)
		return
	}
	var spec vigil.WebhookSpec
	if err := decodeInto(body, &spec); err != nil {
		writeError(w, r, a.log, err)
		return
	}
	reply, err := a.svc.CreateWebhook(r.Context(), tenantOf(r), spec)
	a.reply(w, r, http.StatusCreated, reply, err)
}

func (a *api) webhookDeliveries(w http.ResponseWriter, r *http.Request) {
	reply, err := a.svc.WebhookDeliveries(r.Context(), tenantOf(r), r.PathValue("id"), r.URL.Query().Get("status"))
	a.reply(w, r, http.StatusOK, reply, err)
}

// putRule takes a rule as JSON or YAML (so its body is not decoded as JSON here).
func (a *api) putRule(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(w, r, a.maxBody)
	if err != nil {
		writeError(w, r, a.log, err)
		return
	}
	reply, err := a.svc.PutRule(r.Context(), tenantOf(r), r.PathValue("ruleInstanceId"), data)
	a.reply(w, r, http.StatusOK, reply, err)
}

// request reads a write's query flags and JSON body; on a bad request it answers the error and
// returns false.
func (a *api) request(w http.ResponseWriter, r *http.Request, set flagSet, limit int64) (vigil.Flags, schema.Object, bool) {
	flags, err := parseFlags(r.URL.Query(), set)
	if err != nil {
		writeError(w, r, a.log, err)
		return flags, nil, false
	}
	body, err := readObject(w, r, limit)
	if err != nil {
		writeError(w, r, a.log, err)
		return flags, nil, false
	}
	return flags, body, true
}

// reply writes a successful body or the error.
func (a *api) reply(w http.ResponseWriter, r *http.Request, status int, body []byte, err error) {
	if err != nil {
		writeError(w, r, a.log, err)
		return
	}
	writeRaw(w, status, body)
}

// recoverer turns a panic in a handler into a logged 500 without detail.
func (a *api) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(w, r, a.log, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (a *api) listKeys(w http.ResponseWriter, r *http.Request) {
	reply, err := a.svc.KeysJSON(r.Context(), tenantOf(r))
	a.reply(w, r, http.StatusOK, reply, err)
}

func (a *api) createKey(w http.ResponseWriter, r *http.Request) {
	body, err := readObject(w, r, a.maxBody)
	if err != nil {
		writeError(w, r, a.log, err)
		return
	}
	var spec vigil.KeySpec
	if err := decodeInto(body, &spec); err != nil {
		writeError(w, r, a.log, err)
		return
	}
	reply, err := a.svc.CreateKeyJSON(r.Context(), tenantOf(r), spec)
	a.reply(w, r, http.StatusCreated, reply, err)
}

func (a *api) revokeKey(w http.ResponseWriter, r *http.Request) {
	reply, err := a.svc.RevokeKeyJSON(r.Context(), tenantOf(r), r.PathValue("keyId"))
	a.reply(w, r, http.StatusOK, reply, err)
}
