package vigil

import "context"

// Caller is who made a request and under which request id: what logs and audit records say of
// it. The HTTP layer puts one in each request's context and fills Actor once it knows the key.
type Caller struct {
	// RequestID is the client's X-Request-Id, or one the server made.
	RequestID string
	// Actor names who acts: "key:<key id>" for an API key, "cli" for the command line.
	Actor string
	// Tenant is the name of the tenant the request was authenticated for ("" before that).
	Tenant string
}

type callerKey struct{}

// WithCaller returns a context that carries c; the HTTP layer may fill c's fields later in the
// request, so every holder of the context sees them.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerOf returns the context's caller, or nil.
func CallerOf(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey{}).(*Caller)
	return c
}
