package vigil

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"
)

// SessionTTL is how long a console session lasts after sign-in; then the analyst signs in again.
const SessionTTL = 8 * time.Hour

// Session is a signed-in analyst's console session as stored: the token's hash only.
type Session struct {
	TokenHash []byte
	AnalystID string
	// CSRF is the token every form of the session carries (bound to the session).
	CSRF      string
	CreatedAt int64
	ExpiresAt int64
}

// SignedIn is a live session with its analyst and tenant.
type SignedIn struct {
	Session Session
	Analyst Analyst
	Tenant  Tenant
}

// errNoSession answers a missing, unknown or expired session.
var errNoSession = &Error{Code: CodeUnauthorized, Message: "Not signed in, or the session has ended; sign in again"}

// randomToken is 32 random bytes, URL-safe.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// RandomToken returns a new random URL-safe token (32 bytes), for CSRF tokens before sign-in.
func RandomToken() string { return randomToken() }

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// StartSession opens a session for an analyst who signed in and returns its token (for the
// cookie) with the session. Sessions that ended are deleted on the way.
func (s *Service) StartSession(ctx context.Context, a Analyst) (string, Session, error) {
	token := randomToken()
	now := s.nowMillis()
	sess := Session{TokenHash: hashToken(token), AnalystID: a.ID, CSRF: randomToken(), CreatedAt: now,
		ExpiresAt: now + SessionTTL.Milliseconds()}
	err := s.write(ctx, func(tx Tx) error {
		if err := tx.DeleteSessionsEndedBefore(ctx, now); err != nil {
			return err
		}
		return tx.PutSession(ctx, sess)
	})
	return token, sess, err
}

// SessionByToken reads the live session of a cookie's token.
func (s *Service) SessionByToken(ctx context.Context, token string) (SignedIn, error) {
	if token == "" || len(token) > 100 {
		return SignedIn{}, errNoSession
	}
	in, err := s.store.SessionByHash(ctx, hashToken(token))
	if errors.Is(err, ErrNotFound) || (err == nil && in.Session.ExpiresAt <= s.nowMillis()) {
		return SignedIn{}, errNoSession
	}
	return in, err
}

// EndSession signs a session out; ending one that is gone is not an error.
func (s *Service) EndSession(ctx context.Context, token string) error {
	return s.write(ctx, func(tx Tx) error { return tx.DeleteSession(ctx, hashToken(token)) })
}
