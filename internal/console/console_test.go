package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/console"
	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// clock is a settable clock shared by the service and the console.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is a console over a real store with an analyst ann@example.com (role analyst) and
// viewer vic@example.com, both with password pw.
type fixture struct {
	srv    *httptest.Server
	svc    *vigil.Service
	tenant vigil.Tenant
	clock  *clock
}

const pw = "a long enough password"

func newFixture(t *testing.T, b storetest.Backend, tls bool) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{now: time.UnixMilli(1_800_000_000_000)}
	svc, err := vigil.NewService(b.Open(t), vigil.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := svc.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		email string
		role  vigil.Role
	}{{"ann@example.com", vigil.RoleAnalyst}, {"vic@example.com", vigil.RoleViewer}} {
		if _, err := svc.AddAnalyst(ctx, "acme", a.email, a.role, pw); err != nil {
			t.Fatal(err)
		}
	}
	h := console.New(svc, console.Options{Now: clk.Now})
	srv := httptest.NewUnstartedServer(h)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, svc: svc, tenant: tenant, clock: clk}
}

// browser is a client with a cookie jar that does not follow redirects.
type browser struct {
	t      *testing.T
	f      *fixture
	client *http.Client
}

func (f *fixture) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	client := *f.srv.Client() // a copy: the server's client is one, and each browser has its own jar
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, f: f, client: &client}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values) answer {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.f.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: string(data)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the page's forms.
func csrf(t *testing.T, a answer) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", a.body)
	}
	return m[1]
}

// signIn signs in through the form and returns the users page's answer.
func (b *browser) signIn(email, password string) answer {
	b.t.Helper()
	page := b.do("GET", "/console/signin", nil)
	return b.do("POST", "/console/signin", url.Values{"csrf": {csrf(b.t, page)}, "email": {email}, "password": {password}})
}

func TestSignInPageAndHeaders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, false)
		a := f.browser(t).do("GET", "/console/signin", nil)
		if a.status != http.StatusOK {
			t.Fatalf("sign-in page: %d", a.status)
		}
		for _, want := range []string{`<label for="email">Email</label>`, `<label for="password">Password</label>`,
			`<button type="submit">Sign in</button>`, `type="password"`} {
			if !strings.Contains(a.body, want) {
				t.Errorf("the sign-in page lacks %s", want)
			}
		}
		if strings.Contains(a.body, "://") || strings.Contains(a.body, "<script") || strings.Contains(a.body, "style=") {
			t.Errorf("the page loads from another host, or has script or inline style:\n%s", a.body)
		}
		csp := a.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP = %q", csp)
		}
		if a.header.Get("X-Frame-Options") != "DENY" || a.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("headers = %v", a.header)
		}
		css := f.browser(t).do("GET", "/console/assets/console.css", nil)
		if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
			t.Errorf("stylesheet: %d %s", css.status, css.header.Get("Content-Type"))
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, false)
		br := f.browser(t)
		if a := br.do("GET", "/console/users", nil); a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/signin" {
			t.Fatalf("users page signed out: %d %s", a.status, a.header.Get("Location"))
		}
		// A sign-in form without its token, or with another's, is refused before the password is checked.
		if a := br.do("POST", "/console/signin", url.Values{"email": {"ann@example.com"}, "password": {pw}}); a.status != http.StatusForbidden {
			t.Fatalf("sign-in without a CSRF token: %d", a.status)
		}
		if a := br.do("POST", "/console/signin", url.Values{"csrf": {"forged"}, "email": {"ann@example.com"}, "password": {pw}}); a.status != http.StatusForbidden {
			t.Fatalf("sign-in with a forged CSRF token: %d", a.status)
		}
		if a := br.signIn("ann@example.com", "wrong password!"); a.status != http.StatusUnauthorized || !strings.Contains(a.body, "not correct") {
			t.Fatalf("a wrong password: %d", a.status)
		}
		a := br.signIn("ANN@example.com", pw)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/users" {
			t.Fatalf("sign-in: %d %s\n%s", a.status, a.header.Get("Location"), a.body)
		}
		var session *http.Cookie
		for _, ck := range (&http.Response{Header: a.header}).Cookies() {
			if ck.Name == "vigil_session" {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure ||
			session.MaxAge != int(vigil.SessionTTL.Seconds()) || session.Path != "/console/" {
			t.Fatalf("session cookie = %+v", session)
		}
		users := br.do("GET", "/console/users", nil)
		if users.status != http.StatusOK || !strings.Contains(users.body, "ann@example.com (analyst)") {
			t.Fatalf("users page signed in: %d", users.status)
		}
		// Sign out needs the session's token.
		if a := br.do("POST", "/console/signout", url.Values{"csrf": {"forged"}}); a.status != http.StatusForbidden {
			t.Fatalf("sign-out with a forged token: %d", a.status)
		}
		if a := br.do("POST", "/console/signout", url.Values{}); a.status != http.StatusForbidden {
			t.Fatalf("sign-out without a token: %d", a.status)
		}
		if a := br.do("GET", "/console/users", nil); a.status != http.StatusOK {
			t.Fatalf("a refused sign-out ended the session: %d", a.status)
		}
		if a := br.do("POST", "/console/signout", url.Values{"csrf": {csrf(t, users)}}); a.status != http.StatusSeeOther {
			t.Fatalf("sign-out: %d", a.status)
		}
		// The old cookie, sent again, is refused too: the session is gone from the database.
		other := f.browser(t)
		u, _ := url.Parse(f.srv.URL + "/console/")
		other.client.Jar.SetCookies(u, []*http.Cookie{{Name: "vigil_session", Value: session.Value}})
		if a := other.do("GET", "/console/users", nil); a.status != http.StatusSeeOther {
			t.Fatalf("a signed-out session's cookie: %d", a.status)
		}
		// Sessions end after their time, and with their analyst.
		if a := br.signIn("vic@example.com", pw); a.status != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", a.status)
		}
		f.clock.advance(vigil.SessionTTL - time.Minute)
		if a := br.do("GET", "/console/users", nil); a.status != http.StatusOK {
			t.Fatalf("a session within its time: %d", a.status)
		}
		f.clock.advance(2 * time.Minute)
		if a := br.do("GET", "/console/users", nil); a.status != http.StatusSeeOther {
			t.Fatalf("an expired session: %d", a.status)
		}
		if a := br.signIn("vic@example.com", pw); a.status != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", a.status)
		}
		if err := f.svc.RemoveAnalyst(context.Background(), "acme", "vic@example.com"); err != nil {
			t.Fatal(err)
		}
		if a := br.do("GET", "/console/users", nil); a.status != http.StatusSeeOther {
			t.Fatalf("a removed analyst's session: %d", a.status)
		}
	})
}

func TestSecureCookieUnderTLS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, true)
		a := f.browser(t).signIn("ann@example.com", pw)
		cookies := (&http.Response{Header: a.header}).Cookies()
		if a.status != http.StatusSeeOther || len(cookies) == 0 {
			t.Fatalf("sign-in over TLS: %d", a.status)
		}
		for _, ck := range cookies {
			if !ck.Secure {
				t.Errorf("cookie %s is not Secure under TLS", ck.Name)
			}
		}
	})
}

func TestSignInRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, false)
		br := f.browser(t)
		for i := range 5 {
			if a := br.signIn("ann@example.com", "wrong password!"); a.status != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i+1, a.status)
			}
		}
		a := br.signIn("ann@example.com", pw)
		if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
			t.Fatalf("the 6th attempt in a minute, with the right password: %d", a.status)
		}
		if a := br.signIn("vic@example.com", pw); a.status != http.StatusSeeOther {
			t.Fatalf("another email from the same address: %d", a.status)
		}
		f.clock.advance(time.Minute)
		if a := br.signIn("ann@example.com", pw); a.status != http.StatusSeeOther {
			t.Fatalf("a minute later: %d", a.status)
		}
	})
}

func TestUsersAndUserPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, false)
		ctx := context.Background()
		obj := func(s string) schema.Object {
			o, err := schema.DecodeObject([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		for _, u := range []string{
			`{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Alice","lastName":"Smith"}},"userStateDetails":{"state":"CREATED"}}`,
			`{"userId":"u<2>","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Bob","lastName":"Jones"}}}`,
		} {
			if _, err := f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(u), vigil.Flags{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(`{"userId":"u1","eventId":"e1","timestamp":1700000005000,
			"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"}}}`), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		br := f.browser(t)
		br.signIn("vic@example.com", pw)
		all := br.do("GET", "/console/users", nil)
		for _, want := range []string{`<label for="q">Search</label>`, `href="/console/users/consumer/u1"`, "Alice Smith", "ACTIVE",
			`href="/console/users/consumer/u%3C2%3E"`, "u&lt;2&gt;"} {
			if !strings.Contains(all.body, want) {
				t.Errorf("the users page lacks %s", want)
			}
		}
		if strings.Contains(all.body, "u<2>") {
			t.Error("a user id is not escaped")
		}
		if len(all.body) > 200<<10 {
			t.Errorf("the users page weighs %d bytes", len(all.body))
		}
		found := br.do("GET", "/console/users?q=jon", nil)
		if !strings.Contains(found.body, "Bob Jones") || strings.Contains(found.body, "Alice Smith") {
			t.Errorf("searching jon:\n%s", found.body)
		}
		if a := br.do("GET", "/console/users?createdFrom=yesterday", nil); a.status != http.StatusBadRequest {
			t.Errorf("a bad date: %d", a.status)
		}
		paged := br.do("GET", "/console/users?q=u&cursor=", nil)
		if paged.status != http.StatusOK {
			t.Errorf("an empty cursor: %d", paged.status)
		}
		user := br.do("GET", "/console/users/consumer/u1", nil)
		for _, want := range []string{"<h2>Timeline</h2>", "userStateDetails.state", `&#34;CREATED&#34; → &#34;ACTIVE&#34;`, "<h2>Risk</h2>",
			"<meter", "Latest rule results", `?asOf=1700000005000`} {
			if !strings.Contains(user.body, want) {
				t.Errorf("the user page lacks %s", want)
			}
		}
		then := br.do("GET", "/console/users/consumer/u1?asOf=1700000001000", nil)
		if then.status != http.StatusOK || !strings.Contains(then.body, `&#34;state&#34;: &#34;CREATED&#34;`) {
			t.Errorf("the point-in-time view: %d\n%s", then.status, then.body)
		}
		for path, status := range map[string]int{"/console/users/consumer/nobody": 404, "/console/users/person/u1": 404,
			"/console/users/consumer/u1?asOf=soon": 400, "/console/users/business/u1": 404} {
			if a := br.do("GET", path, nil); a.status != status {
				t.Errorf("%s: %d, want %d", path, a.status, status)
			}
		}
	})
}

func TestActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, false)
		ctx := context.Background()
		body, _ := schema.DecodeObject([]byte(`{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"ACTIVE"}}`))
		if _, err := f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, body, vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		state := func() string {
			reply, err := f.svc.User(ctx, f.tenant, vigil.Consumer, "u1")
			if err != nil {
				t.Fatal(err)
			}
			p, _ := schema.DecodeObject(reply)
			return p["userStateDetails"].(schema.Object)["state"].(string)
		}
		viewer := f.browser(t)
		viewer.signIn("vic@example.com", pw)
		page := viewer.do("GET", "/console/users/consumer/u1", nil)
		if strings.Contains(page.body, "Set state") {
			t.Error("a viewer is shown the actions")
		}
		if a := viewer.do("POST", "/console/users/consumer/u1/state", url.Values{"csrf": {csrf(t, page)}, "value": {"SUSPENDED"}, "reason": {"fraud"}}); a.status != http.StatusForbidden {
			t.Fatalf("a viewer suspends: %d", a.status)
		}
		analyst := f.browser(t)
		analyst.signIn("ann@example.com", pw)
		page = analyst.do("GET", "/console/users/consumer/u1", nil)
		if !strings.Contains(page.body, "Set state") || !strings.Contains(page.body, `<label for="state-reason">Reason</label>`) {
			t.Fatal("an analyst is not shown the actions")
		}
		token := csrf(t, page)
		for _, tc := range []struct {
			name   string
			form   url.Values
			status int
		}{
			{"no CSRF token", url.Values{"value": {"SUSPENDED"}, "reason": {"fraud"}}, http.StatusForbidden},
			{"no reason", url.Values{"csrf": {token}, "value": {"SUSPENDED"}, "reason": {"  "}}, http.StatusBadRequest},
			{"not a state", url.Values{"csrf": {token}, "value": {"GONE"}, "reason": {"fraud"}}, http.StatusBadRequest},
		} {
			if a := analyst.do("POST", "/console/users/consumer/u1/state", tc.form); a.status != tc.status {
				t.Errorf("%s: %d, want %d", tc.name, a.status, tc.status)
			}
		}
		if a := analyst.do("POST", "/console/users/consumer/nobody/state", url.Values{"csrf": {token}, "value": {"SUSPENDED"}, "reason": {"x"}}); a.status != http.StatusNotFound {
			t.Errorf("an unknown user: %d", a.status)
		}
		if s := state(); s != "ACTIVE" {
			t.Fatalf("a refused action changed the state to %s", s)
		}
		a := analyst.do("POST", "/console/users/consumer/u1/state", url.Values{"csrf": {token}, "value": {"SUSPENDED"}, "reason": {"card fraud reported"}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/users/consumer/u1" {
			t.Fatalf("suspend: %d %s", a.status, a.body)
		}
		if s := state(); s != "SUSPENDED" {
			t.Fatalf("state after suspend = %s", s)
		}
		timeline, err := f.svc.Timeline(ctx, f.tenant, vigil.Consumer, "u1")
		if err != nil {
			t.Fatal(err)
		}
		tl, _ := schema.DecodeObject(timeline)
		newest := tl["entries"].([]any)[0].(schema.Object)
		if newest["origin"] != "CONSOLE" || newest["actor"] != "analyst:ann@example.com" || newest["reason"] != "card fraud reported" {
			t.Fatalf("the action's timeline entry = %v", newest)
		}
		if page := analyst.do("GET", "/console/users/consumer/u1", nil); !strings.Contains(page.body, "CONSOLE · analyst:ann@example.com") ||
			!strings.Contains(page.body, "card fraud reported") {
			t.Error("the user page's timeline does not show the action")
		}
		if found := analyst.do("GET", "/console/users?state=SUSPENDED", nil); !strings.Contains(found.body, `href="/console/users/consumer/u1"`) {
			t.Error("the suspended user is not found by its new state")
		}
		// The audit log names the analyst as the actor of the action's write.
		if _, err := f.svc.SealAudit(ctx); err != nil {
			t.Fatal(err)
		}
		audit, err := f.svc.AuditPage(ctx, f.tenant, 0, 1000)
		if err != nil || !strings.Contains(string(audit), `"actor":"console:ann@example.com"`) {
			t.Errorf("no audit record names the analyst: %s, %v", audit, err)
		}
	})
}
