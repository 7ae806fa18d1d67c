package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// requestIDHeader carries a request's id, the client's or one the server made.
const requestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds a client's request id; a longer or odd one is replaced.
const maxRequestIDLen = 128

// withRequestID gives every request an id, the client's X-Request-Id when it is a sane token and
// a new one otherwise, echoes it on the answer and puts it in the request's context (as a
// vigil.Caller, which logs and audit records read).
func (a *api) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(vigil.WithCaller(r.Context(), &vigil.Caller{RequestID: id})))
	})
}

// validRequestID accepts 1 to 128 characters of letters, digits and "-_.:/+=", so an id can be
// written to a log line or a header as it is.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '/', c == '+', c == '=':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flushing).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// routeSeen carries the route pattern the mux matched back out to logRequests: middleware in
// between (deadlines, limits) hands the mux a copy of the request, on which it sets the pattern.
type routeSeen struct{ pattern string }

type routeSeenKey struct{}

// recordRoute wraps the mux: once it has served a request, the pattern it matched is kept for
// the access log and metrics.
func recordRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if seen, ok := r.Context().Value(routeSeenKey{}).(*routeSeen); ok {
			seen.pattern = r.Pattern
		}
	})
}

// logRequests observes every request's route, status and duration (metrics) and writes the
// access log line at info level: method, route pattern, status, duration, tenant and request
// id; never the path (it holds user ids), a body or a key.
func (a *api) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		seen := &routeSeen{}
		r = r.WithContext(context.WithValue(r.Context(), routeSeenKey{}, seen))
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		if a.observe != nil {
			// The route pattern, never the raw path, so ids do not become label values.
			a.observe(seen.pattern, rec.status, d)
		}
		ctx := r.Context()
		// Checked first: the arguments would be boxed, and allocated, even for a disabled level.
		if !a.log.Enabled(ctx, slog.LevelInfo) {
			return
		}
		route := seen.pattern
		if route == "" {
			route = "(no route)"
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", rec.status), slog.Duration("duration", d)}
		if c := vigil.CallerOf(ctx); c != nil {
			if c.Tenant != "" {
				attrs = append(attrs, slog.String("tenant", c.Tenant))
			}
			if c.Actor != "" {
				attrs = append(attrs, slog.String("actor", c.Actor))
			}
		}
		a.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
	})
}
