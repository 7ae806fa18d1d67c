package console

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// The cookies: the session's token, and before sign-in the token the sign-in form must repeat
// (a double-submit CSRF token: another site can make a browser post the form but cannot read or
// set the cookie to match it).
const (
	sessionCookie = "vigil_session"
	signInCookie  = "vigil_signin"
)

// cookie makes a console cookie: HttpOnly, SameSite=Strict, scoped to the console, Secure when
// the request came over TLS; maxAge 0 makes a browser-session cookie, negative deletes it.
func cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
}

// session reads the request's live session.
func (c *console) session(r *http.Request) (vigil.SignedIn, error) {
	token := ""
	if ck, err := r.Cookie(sessionCookie); err == nil {
		token = ck.Value
	}
	return c.svc.SessionByToken(r.Context(), token)
}

// signedIn runs h for an analyst signed in with at least the role need; without a session it
// sends the browser to sign in, and a POST must carry the session's CSRF token.
func (c *console) signedIn(need vigil.Role, h func(http.ResponseWriter, *http.Request, vigil.SignedIn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, err := c.session(r)
		if err != nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
				return
			}
			c.render(w, r, http.StatusUnauthorized, "signin", page{Error: "Your session has ended; sign in again"})
			return
		}
		if r.Method == http.MethodPost && !sameToken(r.PostFormValue("csrf"), in.Session.CSRF) {
			c.render(w, r, http.StatusForbidden, "users", page{Analyst: &in.Analyst, Tenant: in.Tenant.Name, CSRF: in.Session.CSRF,
				Error: "The form was not sent by this console (its security token is missing or wrong); nothing was changed"})
			return
		}
		if !in.Analyst.Role.Allows(need) {
			c.render(w, r, http.StatusForbidden, "users", page{Analyst: &in.Analyst, Tenant: in.Tenant.Name, CSRF: in.Session.CSRF,
				Error: "Your role (" + string(in.Analyst.Role) + ") may not do this; it needs " + string(need)})
			return
		}
		h(w, r, in)
	}
}

func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// signInPage shows the sign-in form with a fresh double-submit token.
func (c *console) signInPage(w http.ResponseWriter, r *http.Request) {
	token := vigil.RandomToken()
	http.SetCookie(w, cookie(r, signInCookie, token, 0))
	c.render(w, r, http.StatusOK, "signin", page{CSRF: token})
}

// signIn checks the form's token, the rate limit, then the email and password, and starts a
// session.
func (c *console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	again := func(status int, msg string) {
		token := vigil.RandomToken()
		http.SetCookie(w, cookie(r, signInCookie, token, 0))
		c.render(w, r, status, "signin", page{CSRF: token, Error: msg})
	}
	ck, err := r.Cookie(signInCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), ck.Value) {
		again(http.StatusForbidden, "The form was not sent by this console (its security token is missing or wrong); try again")
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	if wait := c.limiter.allow(clientAddress(r), email); wait > 0 {
		w.Header().Set("Retry-After", strings.TrimSuffix(wait.Round(time.Second).String(), "s"))
		again(http.StatusTooManyRequests, "Too many sign-in attempts; wait a minute and try again")
		return
	}
	a, _, err := c.svc.SignIn(r.Context(), email, r.PostFormValue("password"))
	if err != nil {
		status := http.StatusUnauthorized
		msg := "The email or password is not correct"
		var ve *vigil.Error
		if !asVigil(err, &ve) || ve.Code != vigil.CodeUnauthorized {
			c.log.ErrorContext(r.Context(), "console sign-in failed", "err", err)
			status, msg = http.StatusInternalServerError, "Signing in failed; the server's log has the details"
		}
		again(status, msg)
		return
	}
	token, _, err := c.svc.StartSession(r.Context(), a)
	if err != nil {
		c.log.ErrorContext(r.Context(), "console session failed", "err", err)
		again(http.StatusInternalServerError, "Signing in failed; the server's log has the details")
		return
	}
	http.SetCookie(w, cookie(r, signInCookie, "", -1))
	http.SetCookie(w, cookie(r, sessionCookie, token, int(vigil.SessionTTL.Seconds())))
	c.log.InfoContext(r.Context(), "analyst signed in", "analyst", a.Email)
	http.Redirect(w, r, "/console/users", http.StatusSeeOther)
}

// signOut ends the session and clears its cookie.
func (c *console) signOut(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if err := c.svc.EndSession(r.Context(), ck.Value); err != nil {
			c.fail(w, r, in, err)
			return
		}
	}
	http.SetCookie(w, cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// clientAddress is the request's remote IP (without the port): behind a proxy, the proxy's.
func clientAddress(r *http.Request) string {
	addr := r.RemoteAddr
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		addr = addr[:i]
	}
	return addr
}

// Sign-in attempts allowed per minute from one address and for one email.
const (
	attemptsPerAddress = 20
	attemptsPerEmail   = 5
	limiterWindow      = time.Minute
	// limiterKeys bounds the limiter's memory: past it, the window's counts start over.
	limiterKeys = 100_000
)

// limiter counts sign-in attempts per address and per email in fixed one-minute windows.
type limiter struct {
	mu     sync.Mutex
	now    func() time.Time
	start  time.Time
	counts map[string]int
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, counts: map[string]int{}}
}

// allow counts an attempt and returns 0 if it may go ahead, else how long until it may.
func (l *limiter) allow(address, email string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.start) >= limiterWindow || len(l.counts) >= limiterKeys {
		l.start, l.counts = now, map[string]int{}
	}
	l.counts["a:"+address]++
	l.counts["e:"+email]++
	if l.counts["a:"+address] > attemptsPerAddress || l.counts["e:"+email] > attemptsPerEmail {
		return l.start.Add(limiterWindow).Sub(now)
	}
	return 0
}

// asVigil is errors.As for the domain's errors.
func asVigil(err error, target **vigil.Error) bool { return errors.As(err, target) }
