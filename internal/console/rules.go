package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// ruleRow is one rule as the rules page lists it.
type ruleRow struct {
	rules.Rule
	// Library says the rule is an instance of the default library's (its ruleId is one of them).
	Library         bool
	Hits, WouldHits vigil.HitWindows
	UpdatedAt       int64
}

// libraryIDs are the ruleIds of the default library.
var libraryIDs = func() map[string]bool {
	ids := map[string]bool{}
	for _, r := range rules.Library() {
		ids[r.ID] = true
	}
	return ids
}()

// tenantRules reads the tenant's rules as GET /rules answers them.
func (c *console) tenantRules(ctx context.Context, tenant vigil.Tenant) ([]rules.Rule, error) {
	reply, err := c.svc.ListRules(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var list struct {
		Rules []rules.Rule `json:"rules"`
	}
	err = json.Unmarshal(reply, &list)
	return list.Rules, err
}

// rulesPage lists every rule of the tenant (library and custom, enabled or not) with its hits
// and shadow would-hits over the last 24 hours, 7 days and 30 days.
func (c *console) rulesPage(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	list, err := c.tenantRules(r.Context(), in.Tenant)
	var stats vigil.RuleHitStats
	if err == nil {
		stats, err = c.svc.RuleHitStats(r.Context(), in.Tenant)
	}
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	rows := make([]ruleRow, len(list))
	for i, rule := range list {
		rows[i] = ruleRow{Rule: rule, Library: libraryIDs[rule.ID], Hits: stats.Hits[rule.InstanceID], WouldHits: stats.WouldHits[rule.InstanceID]}
	}
	c.render(w, r, http.StatusOK, "rules", page{Analyst: &in.Analyst, Tenant: in.Tenant.Name, CSRF: in.Session.CSRF, Data: rows})
}

// ruleVersion is one stored version of a rule.
type ruleVersion struct {
	VersionID string          `json:"versionId"`
	CreatedAt int64           `json:"createdAt"`
	Deleted   bool            `json:"deleted"`
	Rule      json.RawMessage `json:"rule"`
}

// maxShownVersions bounds the versions a rule's page lists (the newest); the API lists them all.
const maxShownVersions = 100

// ruleForm is what the edit form shows: the rule's fields as text, and where each problem of a
// refused edit belongs.
type ruleForm struct {
	Base                          string
	Name, Description, Action     string
	Enabled, Shadow               bool
	Expression, Parameters        string
	Document                      string
	ExpressionErrors, OtherErrors []string
	// Whole says the problems are the whole-document form's.
	Whole bool
}

// rulePageData is a rule's page.
type rulePageData struct {
	ruleRow
	Path     string
	Document string
	Failures string
	Versions []ruleVersion
	Diff     []diffLine
	From, To string
	// Older counts the versions left out of Versions.
	Older   int
	CanEdit bool
	Form    ruleForm
	Actions []string
}

// ruleActions are the actions a rule may take.
var ruleActions = []string{"ALLOW", "FLAG", "SUSPEND", "BLOCK"}

// rulePage shows one rule: its document, hits, versions, the diff between two of them (by
// default the latest change), and for admins the edit form.
func (c *console) rulePage(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	c.showRule(w, r, in, http.StatusOK, nil)
}

// showRule renders a rule's page; form, when not nil, is a refused edit to show again.
func (c *console) showRule(w http.ResponseWriter, r *http.Request, in vigil.SignedIn, status int, form *ruleForm) {
	ctx, id := r.Context(), r.PathValue("ruleInstanceId")
	data, err := c.ruleData(ctx, in, id)
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	q := r.URL.Query()
	if err := data.diff(q.Get("from"), q.Get("to")); err != nil {
		c.fail(w, r, in, err)
		return
	}
	if form != nil {
		data.Form = *form
	}
	c.render(w, r, status, "rule", page{Analyst: &in.Analyst, Tenant: in.Tenant.Name, CSRF: in.Session.CSRF, Data: data})
}

func (c *console) ruleData(ctx context.Context, in vigil.SignedIn, id string) (*rulePageData, error) {
	reply, err := c.svc.GetRule(ctx, in.Tenant, id)
	if err != nil {
		return nil, err
	}
	var current rules.Rule
	if err := json.Unmarshal(reply, &current); err != nil {
		return nil, err
	}
	versionsJSON, err := c.svc.RuleVersions(ctx, in.Tenant, id)
	if err != nil {
		return nil, err
	}
	var versions struct {
		Versions []ruleVersion `json:"versions"`
	}
	if err := json.Unmarshal(versionsJSON, &versions); err != nil {
		return nil, err
	}
	stats, err := c.svc.RuleHitStats(ctx, in.Tenant)
	if err != nil {
		return nil, err
	}
	d := &rulePageData{
		ruleRow:  ruleRow{Rule: current, Library: libraryIDs[current.ID], Hits: stats.Hits[id], WouldHits: stats.WouldHits[id]},
		Path:     rulePath(id),
		Document: ruleText(reply),
		CanEdit:  in.Analyst.Role.Allows(vigil.RoleAdmin),
		Actions:  ruleActions,
	}
	if len(current.Failures) > 0 && string(current.Failures) != "null" {
		d.Failures = indent(current.Failures)
	}
	// Newest first.
	vs := versions.Versions
	slices.Reverse(vs)
	if len(vs) > maxShownVersions {
		d.Older, vs = len(vs)-maxShownVersions, vs[:maxShownVersions]
	}
	d.Versions = vs
	if len(vs) > 0 {
		d.UpdatedAt = vs[0].CreatedAt
	}
	d.Form = formOf(current)
	return d, nil
}

// diff sets the diff between the versions from and to (by default the newest and the one before
// it; a rule with one version is diffed against nothing).
func (d *rulePageData) diff(from, to string) error {
	find := func(id string) (int, error) {
		for i, v := range d.Versions {
			if v.VersionID == id {
				return i, nil
			}
		}
		return 0, &vigil.Error{Code: vigil.CodeInvalid, Message: "No version " + id + " among the rule's versions shown"}
	}
	toAt, fromAt := 0, 1
	var err error
	if to != "" {
		if toAt, err = find(to); err != nil {
			return err
		}
		fromAt = toAt + 1
	}
	if from != "" {
		if fromAt, err = find(from); err != nil {
			return err
		}
	}
	if len(d.Versions) == 0 {
		return nil
	}
	older := ""
	if fromAt < len(d.Versions) {
		older = ruleText(d.Versions[fromAt].Rule)
		d.From = d.Versions[fromAt].VersionID
	}
	d.To = d.Versions[toAt].VersionID
	d.Diff = lineDiff(older, ruleText(d.Versions[toAt].Rule))
	return nil
}

// ruleText is a rule's document for reading and diffing: indented, keys sorted, without the
// versionId every version changes and the server's failure counts.
func ruleText(doc []byte) string {
	if len(doc) == 0 || string(doc) == "null" {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return string(doc)
	}
	delete(m, "versionId")
	delete(m, "failures")
	out, _ := json.MarshalIndent(m, "", "  ")
	return string(out)
}

// formOf is the edit form of a stored rule.
func formOf(r rules.Rule) ruleForm {
	f := ruleForm{Base: r.VersionID, Name: r.Name, Description: r.Description, Action: r.Action, Enabled: r.IsEnabled(),
		Shadow: r.Shadow, Expression: r.Expression}
	if len(r.Parameters) > 0 {
		p, _ := json.MarshalIndent(r.Parameters, "", "  ")
		f.Parameters = string(p)
	}
	doc := r
	doc.VersionID, doc.Failures = "", nil
	f.Document = ruleText(mustJSON(doc))
	return f
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// rulePath is the console page of a rule.
func rulePath(id string) string { return "/console/rules/" + url.PathEscape(id) }

// maxRuleForm bounds an edit form's body: a rule's expression is at most a few KiB.
const maxRuleForm = 256 << 10

// editRule changes a rule from the fields of its page's form (admins only; the CSRF token checked
// by signedIn): the stored rule with the form's fields replaced goes through Service.PutRule, as
// PUT /rules/{ruleInstanceId} does, so it is checked, versioned and audited the same way, with
// the analyst as the audit record's actor. A refused edit shows the page again with the form as
// sent and each problem beside its field, and writes nothing.
func (c *console) editRule(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	c.saveRule(w, r, in, func(current rules.Rule, form *ruleForm) ([]byte, error) {
		form.Name, form.Description = strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("description"))
		form.Action, form.Expression = r.PostFormValue("action"), r.PostFormValue("expression")
		form.Enabled, form.Shadow = r.PostFormValue("enabled") == "on", r.PostFormValue("shadow") == "on"
		form.Parameters = strings.TrimSpace(r.PostFormValue("parameters"))
		next := current
		next.Name, next.Description, next.Action, next.Expression = form.Name, form.Description, form.Action, form.Expression
		next.Shadow, next.Enabled = form.Shadow, &form.Enabled
		if form.Enabled && current.Enabled == nil {
			next.Enabled = nil // enabled by default: the document need not say so
		}
		next.Parameters = nil
		if form.Parameters != "" {
			if err := json.Unmarshal([]byte(form.Parameters), &next.Parameters); err != nil {
				return nil, &vigil.Error{Code: vigil.CodeInvalid, Message: "parameters: not a JSON object",
					Problems: []string{"parameters: not a JSON object: " + err.Error()}}
			}
		}
		next.VersionID, next.Failures = "", nil
		return json.Marshal(next)
	})
}

// editRuleDocument replaces a rule by the whole document of its page's second form (JSON or
// YAML, as PUT /rules/{ruleInstanceId} takes it).
func (c *console) editRuleDocument(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	c.saveRule(w, r, in, func(_ rules.Rule, form *ruleForm) ([]byte, error) {
		form.Document, form.Whole = r.PostFormValue("document"), true
		return []byte(form.Document), nil
	})
}

// saveRule reads the form of the rule's page, lets build make the document to store, and stores
// it unless the rule changed since the page was shown (its versionId is the form's base).
func (c *console) saveRule(w http.ResponseWriter, r *http.Request, in vigil.SignedIn, build func(rules.Rule, *ruleForm) ([]byte, error)) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRuleForm)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, in, &vigil.Error{Code: vigil.CodeInvalid, Message: "The form is too large or malformed; nothing was changed"})
		return
	}
	ctx, id := r.Context(), r.PathValue("ruleInstanceId")
	reply, err := c.svc.GetRule(ctx, in.Tenant, id)
	var current rules.Rule
	if err == nil {
		err = json.Unmarshal(reply, &current)
	}
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	form := formOf(current)
	form.Base = r.PostFormValue("base")
	// The check and the write are two steps: an edit saved by someone else between them is
	// replaced (its version stays in the list, and in the audit log).
	if form.Base != current.VersionID {
		form.OtherErrors = []string{"The rule was changed since this page was shown (it is now version " + current.VersionID +
			"); nothing was changed. Review the latest version below and edit again."}
		form.Base = current.VersionID
		c.showRule(w, r, in, http.StatusConflict, &form)
		return
	}
	doc, err := build(current, &form)
	if err == nil {
		_, err = c.svc.PutRule(asAnalyst(ctx, in), in.Tenant, id, doc)
	}
	var ve *vigil.Error
	if errors.As(err, &ve) && ve.Code == vigil.CodeInvalid {
		problems := ve.Problems
		if len(problems) == 0 {
			problems = []string{ve.Message}
		}
		for _, p := range problems {
			if strings.HasPrefix(p, "expression:") {
				form.ExpressionErrors = append(form.ExpressionErrors, strings.TrimSpace(strings.TrimPrefix(p, "expression:")))
			} else {
				form.OtherErrors = append(form.OtherErrors, p)
			}
		}
		c.showRule(w, r, in, http.StatusBadRequest, &form)
		return
	}
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	c.log.InfoContext(ctx, "console rule change", "analyst", in.Analyst.Email, "rule", id)
	http.Redirect(w, r, rulePath(id), http.StatusSeeOther)
}
