package console

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// Prefix is where the console is served.
const Prefix = "/console/"

// Options configures the console.
type Options struct {
	Logger *slog.Logger
	// Now is the clock of the sign-in rate limit; nil means time.Now.
	Now func() time.Time
}

// console holds what every page needs.
type console struct {
	svc     *vigil.Service
	log     *slog.Logger
	pages   map[string]*template.Template
	limiter *limiter
	// now is the clock of actions' timestamps and the rate limit.
	now func() time.Time
}

// New returns the console's handler; mount it at Prefix.
func New(svc *vigil.Service, opts Options) http.Handler {
	c := &console{svc: svc, log: opts.Logger, pages: map[string]*template.Template{}}
	if c.log == nil {
		c.log = slog.Default()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	c.limiter, c.now = newLimiter(now), now
	for _, page := range []string{"signin", "users", "user", "rules", "rule", "overview"} {
		c.pages[page] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+page+".html"))
	}
	assets, _ := fs.Sub(assetFiles, "assets")
	mux := http.NewServeMux()
	mux.Handle("GET /console/assets/", http.StripPrefix("/console/assets/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /console/{$}", c.home)
	mux.HandleFunc("GET /console/signin", c.signInPage)
	mux.HandleFunc("POST /console/signin", c.signIn)
	mux.HandleFunc("POST /console/signout", c.signedIn(vigil.RoleViewer, c.signOut))
	mux.HandleFunc("GET /console/users", c.signedIn(vigil.RoleViewer, c.usersPage))
	mux.HandleFunc("GET /console/users/{kind}/{userId}", c.signedIn(vigil.RoleViewer, c.userPage))
	mux.HandleFunc("POST /console/users/{kind}/{userId}/{action}", c.signedIn(vigil.RoleAnalyst, c.act))
	mux.HandleFunc("GET /console/rules", c.signedIn(vigil.RoleViewer, c.rulesPage))
	mux.HandleFunc("GET /console/rules/{ruleInstanceId}", c.signedIn(vigil.RoleViewer, c.rulePage))
	mux.HandleFunc("POST /console/rules/{ruleInstanceId}", c.signedIn(vigil.RoleAdmin, c.editRule))
	mux.HandleFunc("POST /console/rules/{ruleInstanceId}/document", c.signedIn(vigil.RoleAdmin, c.editRuleDocument))
	mux.HandleFunc("GET /console/overview", c.signedIn(vigil.RoleViewer, c.overviewPage))
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusNotFound, "signin", page{Error: "No such page"})
	})
	return secureHeaders(mux)
}

// secureHeaders sets the headers every console answer carries: a Content-Security-Policy that
// allows only the console's own stylesheet and forms (no script at all, inline or not), no
// framing, no sniffing, no referrer, no caching of pages that show personal data.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (c *console) home(w http.ResponseWriter, r *http.Request) {
	if _, err := c.session(r); err == nil {
		http.Redirect(w, r, "/console/users", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// page is what every template gets: the signed-in analyst (nil on the sign-in page), the
// session's CSRF token for its forms, an error to show, and the page's own data.
type page struct {
	Analyst *vigil.Analyst
	Tenant  string
	CSRF    string
	Error   string
	Data    any
	// Page is the template's name (render sets it), so the layout marks the current section.
	Page string
}

// render writes a page; a template failure is logged and answered without detail.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	p.Page = name
	if err := c.pages[name].Execute(w, p); err != nil {
		c.log.ErrorContext(r.Context(), "console page failed", "page", name, "err", err)
	}
}

// fail shows an error on a page of its own, without internal detail.
func (c *console) fail(w http.ResponseWriter, r *http.Request, in vigil.SignedIn, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong; the server's log has the details"
	var ve *vigil.Error
	errors.As(err, &ve)
	switch {
	case ve != nil && ve.Code == vigil.CodeInvalid:
		status, msg = http.StatusBadRequest, ve.Message
	case ve != nil && ve.Code == vigil.CodeNotFound:
		status, msg = http.StatusNotFound, ve.Message
	case ve != nil && ve.Code == vigil.CodeGone:
		status, msg = http.StatusGone, ve.Message
	default:
		c.log.ErrorContext(r.Context(), "console request failed", "path", r.URL.Path, "err", err)
	}
	c.render(w, r, status, "users", page{Analyst: &in.Analyst, Tenant: in.Tenant.Name, CSRF: in.Session.CSRF, Error: msg})
}
