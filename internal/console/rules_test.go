package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// A custom rule that hits users tagged "hit", and a shadow rule that would hit users tagged
// "shadow".
const (
	hitRule = `{"ruleId":"RC-1","ruleName":"Tagged hit","ruleDescription":"The user has the tag hit.","ruleAction":"FLAG",
		"expression":"any(user.tags ?? [], .key == \"hit\")"}`
	shadowRule = `{"ruleId":"RC-2","ruleName":"Tagged shadow","ruleDescription":"The user has the tag shadow.","ruleAction":"BLOCK",
		"isShadow":true,"expression":"any(user.tags ?? [], .key == \"shadow\")"}`
)

// newRulesFixture is newFixture with an admin ada@example.com and the two rules above.
func newRulesFixture(t *testing.T, b storetest.Backend) *fixture {
	t.Helper()
	f := newFixture(t, b, false)
	ctx := context.Background()
	if _, err := f.svc.AddAnalyst(ctx, "acme", "ada@example.com", vigil.RoleAdmin, pw); err != nil {
		t.Fatal(err)
	}
	for id, doc := range map[string]string{"RC-1.1": hitRule, "RC-2.1": shadowRule} {
		if _, err := f.svc.PutRule(ctx, f.tenant, id, []byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// write creates a user with tags, or sends it an event with them when it exists.
func (f *fixture) write(t *testing.T, userID string, tags ...string) {
	t.Helper()
	ctx := context.Background()
	var list []any
	for _, tag := range tags {
		list = append(list, schema.Object{"key": tag, "value": "1"})
	}
	if list == nil {
		list = []any{}
	}
	_, err := f.svc.User(ctx, f.tenant, vigil.Consumer, userID)
	if err != nil {
		body := schema.Object{"userId": userID, "createdTimestamp": json.Number("1700000000000"), "tags": list}
		_, err = f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, body, vigil.Flags{})
	} else {
		event := schema.Object{"userId": userID, "eventId": vigil.RandomToken()[:16],
			"timestamp":                     json.Number(strconv.FormatInt(f.clock.Now().UnixMilli(), 10)),
			"updatedConsumerUserAttributes": schema.Object{"tags": list}}
		_, err = f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, event, vigil.Flags{})
	}
	if err != nil {
		t.Fatal(err)
	}
}

var numberCell = regexp.MustCompile(`<td class="num[^"]*">(\d+)</td>`)

// counts reads a rule's row of the rules page: its hits and would-hits over 24 h, 7 and 30 days.
func counts(t *testing.T, rulesPage, id string) string {
	t.Helper()
	row := regexp.MustCompile(`(?s)href="/console/rules/` + regexp.QuoteMeta(id) + `">.*?</tr>`).FindString(rulesPage)
	if row == "" {
		t.Fatalf("no row of %s in the rules page:\n%s", id, rulesPage)
	}
	var out []string
	for _, m := range numberCell.FindAllStringSubmatch(row, -1) {
		out = append(out, m[1])
	}
	return strings.Join(out, " ")
}

// pageChecks are what every console page must be: small, no script, nothing from another host.
func pageChecks(t *testing.T, path string, a answer) {
	t.Helper()
	if len(a.body) > 200<<10 {
		t.Errorf("%s weighs %d bytes", path, len(a.body))
	}
	if strings.Contains(a.body, "<script") || strings.Contains(a.body, "style=") || strings.Contains(a.body, "://") {
		t.Errorf("%s has script, inline style or another host:\n%s", path, a.body)
	}
}

func TestRulePagesForEachRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newRulesFixture(t, b)
		f.write(t, "u1", "hit")
		for _, who := range []struct {
			email   string
			canEdit bool
		}{{"vic@example.com", false}, {"ann@example.com", false}, {"ada@example.com", true}} {
			br := f.browser(t)
			if a := br.signIn(who.email, pw); a.status != http.StatusSeeOther {
				t.Fatalf("%s signs in: %d", who.email, a.status)
			}
			for path, wants := range map[string][]string{
				"/console/rules": {`href="/console/rules/R-U1.1"`, "library R-U1", "custom RC-1", `<td>shadow</td>`,
					`<a href="/console/rules" aria-current="page">Rules</a>`, `<a href="/console/overview">Overview</a>`, `<a href="/console/users">Users</a>`},
				"/console/rules/RC-1.1": {"Rule RC-1.1: Tagged hit", "<h2>Versions</h2>", "The first version, ", `<span class="add">&#43;   &#34;ruleName&#34;: &#34;Tagged hit&#34;`},
				"/console/rules/R-U1.1": {"user.sanctionsStatus == true", "library R-U1"},
				"/console/overview":     {"Users by CRA risk level", "Hits per rule per day", "Webhook deliveries", `href="/console/rules/RC-1.1"`},
			} {
				a := br.do("GET", path, nil)
				if a.status != http.StatusOK {
					t.Fatalf("%s, %s: %d\n%s", who.email, path, a.status, a.body)
				}
				for _, want := range wants {
					if !strings.Contains(a.body, want) {
						t.Errorf("%s, %s lacks %s", who.email, path, want)
					}
				}
				pageChecks(t, path, a)
			}
			if a := br.do("GET", "/console/rules/RC-1.1", nil); strings.Contains(a.body, "Save rule") != who.canEdit {
				t.Errorf("%s is shown the edit form: %v", who.email, !who.canEdit)
			}
		}
		if a := f.browser(t).do("GET", "/console/rules", nil); a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/signin" {
			t.Errorf("the rules page signed out: %d", a.status)
		}
		br := f.browser(t)
		br.signIn("vic@example.com", pw)
		for path, status := range map[string]int{"/console/rules/nothing": 404, "/console/rules/RC-1.1?to=nope": 400} {
			if a := br.do("GET", path, nil); a.status != status {
				t.Errorf("%s: %d, want %d", path, a.status, status)
			}
		}
	})
}

func TestRuleHitCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newRulesFixture(t, b)
		// A new session for each look: the clock moves past sessions' time.
		rulesPage := func() string {
			br := f.browser(t)
			br.signIn("vic@example.com", pw)
			return br.do("GET", "/console/rules", nil).body
		}
		if got := counts(t, rulesPage(), "RC-1.1"); got != "0 0 0 0 0 0" {
			t.Fatalf("before any write: %s", got)
		}
		f.write(t, "u1", "hit")           // a create that hits
		f.write(t, "u1", "hit")           // an event that hits again
		f.write(t, "u2")                  // hits nothing
		f.write(t, "u3", "shadow")        // the shadow rule would hit
		f.write(t, "u4", "hit", "shadow") // both
		f.write(t, "u2")                  // an event that hits nothing
		page := rulesPage()
		if got := counts(t, page, "RC-1.1"); got != "3 3 3 0 0 0" {
			t.Errorf("the live rule's hits and would-hits: %s", got)
		}
		if got := counts(t, page, "RC-2.1"); got != "0 0 0 2 2 2" {
			t.Errorf("the shadow rule's: %s", got)
		}
		// A refused write counts nothing.
		bad := schema.Object{"userId": "u5", "createdTimestamp": "yesterday", "tags": []any{schema.Object{"key": "hit", "value": "1"}}}
		if _, err := f.svc.CreateUser(context.Background(), f.tenant, vigil.Consumer, bad, vigil.Flags{}); err == nil {
			t.Fatal("a bad create was accepted")
		}
		if got := counts(t, rulesPage(), "RC-1.1"); got != "3 3 3 0 0 0" {
			t.Errorf("after a refused write: %s", got)
		}
		// The windows move with the clock.
		f.clock.advance(25 * time.Hour)
		f.write(t, "u1", "hit")
		if got := counts(t, rulesPage(), "RC-1.1"); got != "1 4 4 0 0 0" {
			t.Errorf("a day later: %s", got)
		}
		f.clock.advance(7 * 24 * time.Hour)
		if got := counts(t, rulesPage(), "RC-2.1"); got != "0 0 0 0 0 2" {
			t.Errorf("eight days later, the shadow rule: %s", got)
		}
		br := f.browser(t)
		br.signIn("vic@example.com", pw)
		overview := br.do("GET", "/console/overview", nil).body
		row := regexp.MustCompile(`(?s)<th scope="row"><a href="/console/rules/RC-1.1">RC-1.1</a></th>.*?</tr>`).FindString(overview)
		var cells []string
		for _, m := range numberCell.FindAllStringSubmatch(row, -1) {
			cells = append(cells, m[1])
		}
		// The 30-day total, then the 30 days, today last: 3 hits 8 days ago, 1 hit 7 days ago.
		if len(cells) != 31 || cells[0] != "4" || strings.Join(cells[1:], "") != strings.Repeat("0", 21)+"310000000" {
			t.Errorf("the overview's row of RC-1.1: %v", cells)
		}
		if !strings.Contains(overview, `RC-2.1</a> <span class="muted">(shadow)</span>`) {
			t.Error("the overview does not show the shadow rule's would-hits")
		}
		f.clock.advance(23 * 24 * time.Hour)
		if got := counts(t, rulesPage(), "RC-1.1"); got != "0 0 0 0 0 0" {
			t.Errorf("31 days after the last hit: %s", got)
		}
	})
}

func TestOverviewCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newRulesFixture(t, b)
		ctx := context.Background()
		if _, err := f.svc.CreateWebhook(ctx, f.tenant, vigil.WebhookSpec{URL: "https://hook:pass@hooks.example.com/in?token=secret"}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"u1", "u2", "u3"} {
			f.write(t, id)
		}
		// A hand-set level, and a webhook endpoint whose deliveries wait (nothing dispatches).
		event := schema.Object{"userId": "u3", "eventId": "high", "timestamp": json.Number("1700000001000"),
			"updatedConsumerUserAttributes": schema.Object{"riskLevel": "VERY_HIGH"}}
		if _, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, event, vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		br := f.browser(t)
		br.signIn("vic@example.com", pw)
		page := br.do("GET", "/console/overview", nil).body
		levels := map[string]int{}
		for _, m := range regexp.MustCompile(`<th scope="row">([A-Z_]+)</th><td class="num">(\d+)</td>`).FindAllStringSubmatch(page, -1) {
			levels[m[1]], _ = strconv.Atoi(m[2])
		}
		total := 0
		for _, l := range vigil.RiskLevels {
			total += levels[l]
		}
		if levels["VERY_HIGH"] != 1 || total != 3 || !strings.Contains(page, `<th scope="row">All users</th><td class="num">3</td>`) {
			t.Errorf("users by level: %v\n%s", levels, page)
		}
		// The endpoint's deliveries wait (nothing dispatches them); its URL shows without its
		// credentials or query.
		health := regexp.MustCompile(`(?s)<td>https://hooks.example.com/in<br>.*?</td>\s*<td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>`).FindStringSubmatch(page)
		if health == nil || health[1] != "0" || health[2] == "0" || health[3] != "0" {
			t.Errorf("the endpoint's health: %v\n%s", health, page)
		}
		if strings.Contains(page, "secret") || strings.Contains(page, "pass@") {
			t.Error("the overview shows the endpoint's credentials")
		}
	})
}

// ruleState is what an edit may change: the rule as GET /rules/{id} answers it, its number of
// versions, and the tenant's audit records of rule changes.
func (f *fixture) ruleState(t *testing.T, id string) (rule map[string]any, versions int, audit []map[string]any) {
	t.Helper()
	ctx := context.Background()
	reply, err := f.svc.GetRule(ctx, f.tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(reply, &rule); err != nil {
		t.Fatal(err)
	}
	vs, err := f.svc.RuleVersions(ctx, f.tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Versions []any }
	json.Unmarshal(vs, &list)
	if _, err := f.svc.SealAudit(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := f.svc.AuditPage(ctx, f.tenant, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var records struct{ Records []map[string]any }
	if err := json.Unmarshal(page, &records); err != nil {
		t.Fatal(err)
	}
	for _, r := range records.Records {
		if r["action"] == vigil.AuditRulePut {
			audit = append(audit, r)
		}
	}
	return rule, len(list.Versions), audit
}

var baseField = regexp.MustCompile(`name="base" value="([^"]+)"`)

func TestRuleEdit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newRulesFixture(t, b)
		admin := f.browser(t)
		admin.signIn("ada@example.com", pw)
		page := admin.do("GET", "/console/rules/RC-1.1", nil)
		token, base := csrf(t, page), baseField.FindStringSubmatch(page.body)[1]
		form := func(expression string) url.Values {
			return url.Values{"csrf": {token}, "base": {base}, "name": {"Tagged hit, edited"}, "description": {"The user has the tag hit."},
				"action": {"SUSPEND"}, "enabled": {"on"}, "shadow": {"on"}, "expression": {expression}, "parameters": {""}}
		}
		before, versions, audit := f.ruleState(t, "RC-1.1")

		// Refused edits write nothing.
		viewer, analyst := f.browser(t), f.browser(t)
		viewer.signIn("vic@example.com", pw)
		analyst.signIn("ann@example.com", pw)
		good := `any(user.tags ?? [], .key == "hit2")`
		for _, tc := range []struct {
			name   string
			who    *browser
			form   url.Values
			status int
			wants  []string
		}{
			{"a viewer", viewer, withCSRF(form(good), csrf(t, viewer.do("GET", "/console/rules/RC-1.1", nil))), http.StatusForbidden, []string{"may not do this; it needs admin"}},
			{"an analyst", analyst, withCSRF(form(good), csrf(t, analyst.do("GET", "/console/rules/RC-1.1", nil))), http.StatusForbidden, []string{"may not do this; it needs admin"}},
			{"no CSRF token", admin, withCSRF(form(good), ""), http.StatusForbidden, []string{"security token"}},
			{"a forged CSRF token", admin, withCSRF(form(good), "forged"), http.StatusForbidden, []string{"security token"}},
			{"a compile error", admin, form("user.tags ?? [] ==="), http.StatusBadRequest,
				[]string{`<ul id="expression-errors" class="error" role="alert"><li>line 1, column`, `aria-invalid="true"`,
					// The form comes back as sent.
					`value="Tagged hit, edited"`, "user.tags ?? [] ===</textarea>"}},
			{"an unknown name", admin, form("usr.tags != nil"), http.StatusBadRequest, []string{`<ul id="expression-errors"`, "usr"}},
			{"no name", admin, func() url.Values { v := form(good); v.Set("name", " "); return v }(), http.StatusBadRequest,
				[]string{"ruleName: is required"}},
			{"parameters that are not an object", admin, func() url.Values { v := form(good); v.Set("parameters", "[1"); return v }(),
				http.StatusBadRequest, []string{"parameters: not a JSON object"}},
			{"a stale form", admin, func() url.Values { v := form(good); v.Set("base", "older"); return v }(), http.StatusConflict,
				[]string{"was changed since this page was shown"}},
		} {
			a := tc.who.do("POST", "/console/rules/RC-1.1", tc.form)
			if a.status != tc.status {
				t.Errorf("%s: %d, want %d\n%s", tc.name, a.status, tc.status, a.body)
				continue
			}
			for _, want := range tc.wants {
				if !strings.Contains(a.body, want) {
					t.Errorf("%s: the answer lacks %s\n%s", tc.name, want, a.body)
				}
			}
			if rule, n, records := f.ruleState(t, "RC-1.1"); rule["versionId"] != before["versionId"] || n != versions || len(records) != len(audit) {
				t.Fatalf("%s changed the rule: version %v, %d versions, %d audit records", tc.name, rule["versionId"], n, len(records))
			}
		}
		if a := admin.do("POST", "/console/rules/RC-1.1/document", url.Values{"csrf": {token}, "base": {base}, "document": {"ruleId: [unclosed"}}); a.status != http.StatusBadRequest ||
			!strings.Contains(a.body, `<div id="document-errors" class="error" role="alert">`) || !strings.Contains(a.body, "<details open>") {
			t.Errorf("a document that does not parse: %d\n%s", a.status, a.body)
		}

		// A good edit: one new version, one audit record naming the admin, the rule as edited.
		a := admin.do("POST", "/console/rules/RC-1.1", form(good))
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/rules/RC-1.1" {
			t.Fatalf("the edit: %d\n%s", a.status, a.body)
		}
		rule, n, records := f.ruleState(t, "RC-1.1")
		if n != versions+1 || len(records) != len(audit)+1 || records[len(records)-1]["actor"] != "console:ada@example.com" ||
			!strings.Contains(records[len(records)-1]["target"].(string), rule["versionId"].(string)) {
			t.Fatalf("after the edit: %d versions, audit %v", n, records)
		}
		if rule["ruleName"] != "Tagged hit, edited" || rule["ruleAction"] != "SUSPEND" || rule["isShadow"] != true || rule["expression"] != good || rule["enabled"] != nil {
			t.Fatalf("the rule after the edit: %v", rule)
		}
		// Its page shows the change as a diff, by default and between the versions chosen.
		page = admin.do("GET", "/console/rules/RC-1.1", nil)
		for _, want := range []string{`<span class="del">-   &#34;expression&#34;: &#34;any(user.tags ?? [], .key == \&#34;hit\&#34;)&#34;,`,
			`<span class="add">&#43;   &#34;expression&#34;: &#34;any(user.tags ?? [], .key == \&#34;hit2\&#34;)&#34;,`,
			`<span class="add">&#43;   &#34;isShadow&#34;: true,`, `<span class="same">    &#34;ruleId&#34;: &#34;RC-1&#34;,`, "Changes from "} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the rule's page after the edit lacks %s", want)
			}
		}
		back := admin.do("GET", "/console/rules/RC-1.1?from="+rule["versionId"].(string)+"&to="+before["versionId"].(string), nil)
		if !strings.Contains(back.body, `<span class="add">&#43;   &#34;expression&#34;: &#34;any(user.tags ?? [], .key == \&#34;hit\&#34;)&#34;,`) {
			t.Errorf("the diff from the new version back to the old one:\n%s", back.body)
		}
		// The edit took effect: the rule is a shadow rule now, so its hits are would-hits.
		f.write(t, "u9", "hit2")
		if got := counts(t, admin.do("GET", "/console/rules", nil).body, "RC-1.1"); got != "0 0 0 1 1 1" {
			t.Errorf("the edited rule's counts: %s", got)
		}
		// The whole document, in YAML: disabled, live again.
		newBase := baseField.FindStringSubmatch(page.body)[1]
		doc := "ruleId: RC-1\nruleName: From YAML\nruleDescription: d\nruleAction: FLAG\nenabled: false\nexpression: user.sanctionsStatus == true\n"
		if a := admin.do("POST", "/console/rules/RC-1.1/document", url.Values{"csrf": {token}, "base": {newBase}, "document": {doc}}); a.status != http.StatusSeeOther {
			t.Fatalf("the whole document: %d\n%s", a.status, a.body)
		}
		if rule, _, _ := f.ruleState(t, "RC-1.1"); rule["ruleName"] != "From YAML" || rule["enabled"] != false {
			t.Fatalf("the rule after the document: %v", rule)
		}
	})
}

// withCSRF is a form with its CSRF token replaced ("" removes it).
func withCSRF(form url.Values, token string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	out.Del("csrf")
	if token != "" {
		out.Set("csrf", token)
	}
	return out
}
