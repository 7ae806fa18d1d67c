package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// obj decodes a JSON object or fails the test.
func obj(t *testing.T, s string) schema.Object {
	t.Helper()
	o, err := schema.DecodeObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// timelineEntries is the user's timeline, newest first.
func (f *fixture) timelineEntries(t *testing.T, userID string) []any {
	t.Helper()
	reply, err := f.svc.Timeline(context.Background(), f.tenant, vigil.Consumer, userID)
	if err != nil {
		t.Fatal(err)
	}
	return obj(t, string(reply))["entries"].([]any)
}

// profile is the user's current profile.
func (f *fixture) profile(t *testing.T, userID string) schema.Object {
	t.Helper()
	reply, err := f.svc.User(context.Background(), f.tenant, vigil.Consumer, userID)
	if err != nil {
		t.Fatal(err)
	}
	return obj(t, string(reply))
}

// risk is the user's risk explanation.
func (f *fixture) risk(t *testing.T, userID string) schema.Object {
	t.Helper()
	reply, err := f.svc.ExplainRisk(context.Background(), f.tenant, vigil.Consumer, userID)
	if err != nil {
		t.Fatal(err)
	}
	return obj(t, string(reply))
}

// tags renders the profile's tags as key=value in order.
func tags(p schema.Object) string {
	var out []string
	list, _ := p["tags"].([]any)
	for _, tag := range list {
		m := tag.(schema.Object)
		out = append(out, fmt.Sprint(m["key"], "=", m["value"]))
	}
	return strings.Join(out, ",")
}

func level(risk schema.Object, score string) string {
	s := risk[score].(schema.Object)
	return fmt.Sprint(s["level"], " ", s["source"], " locked=", s["locked"] == true)
}

// TestRiskTagAndCommentActions drives every action but state and KYC (TestActions has those)
// through the forms: each is refused to a viewer, without the CSRF token and without its
// reason, writing nothing; then it succeeds as an event of the console with the analyst as
// actor, and its change is what the user's profile, risk and timeline show.
func TestRiskTagAndCommentActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, false)
		ctx := context.Background()
		if _, err := f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"u1","createdTimestamp":1700000000000,
			"userStateDetails":{"state":"ACTIVE"},"tags":[{"key":"fixed","value":"x","isEditable":false},{"key":"segment","value":"retail"}]}`), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateWebhook(ctx, f.tenant, vigil.WebhookSpec{URL: "https://hooks.example.com/vigil"}); err != nil {
			t.Fatal(err)
		}
		viewer, analyst := f.browser(t), f.browser(t)
		viewer.signIn("vic@example.com", pw)
		analyst.signIn("ann@example.com", pw)
		viewerToken := csrf(t, viewer.do("GET", "/console/users/consumer/u1", nil))
		page := analyst.do("GET", "/console/users/consumer/u1", nil)
		for _, want := range []string{`<label for="risk-level">Level</label>`, `<label for="risk-reason">Reason</label>`, `<label for="tag-key">Key</label>`,
			`<label for="tag-value">Value</label>`, `<label for="untag-key">Tag</label>`, `<option value="segment">segment=retail</option>`,
			`<label for="comment-text">Comment</label>`, `action="/console/users/consumer/u1/comment"`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the analyst's user page lacks %s", want)
			}
		}
		if strings.Contains(page.body, "<script") {
			t.Error("the user page has script")
		}
		token := csrf(t, page)

		for _, tc := range []struct {
			action string
			// form is the action's form without its CSRF token; reasonField names the field
			// the action cannot do without.
			form        url.Values
			reasonField string
			reason      string
			// check says what is wrong with the user after the action, "" when nothing.
			check func() string
		}{
			{"risk", url.Values{"score": {"CRA"}, "mode": {"lock"}, "level": {"VERY_HIGH"}}, "reason", "escalated by compliance", func() string {
				if got := level(f.risk(t, "u1"), "cra"); got != "VERY_HIGH OVERRIDE locked=true" {
					return "CRA = " + got
				}
				return ""
			}},
			{"risk", url.Values{"score": {"CRA"}, "mode": {"release"}}, "reason", "review done", func() string {
				if got := level(f.risk(t, "u1"), "cra"); strings.Contains(got, "locked=true") || strings.Contains(got, "OVERRIDE") {
					return "CRA after release = " + got
				}
				return ""
			}},
			{"risk", url.Values{"score": {"KRS"}, "mode": {"set"}, "level": {"HIGH"}}, "reason", "documents doubtful", func() string {
				if got := level(f.risk(t, "u1"), "kyc"); got != "HIGH OVERRIDE locked=false" {
					return "KRS = " + got
				}
				return ""
			}},
			{"tag", url.Values{"key": {"segment"}, "value": {"vip"}}, "reason", "upgraded", func() string {
				if got := tags(f.profile(t, "u1")); got != "fixed=x,segment=vip" {
					return "tags = " + got
				}
				return ""
			}},
			{"tag", url.Values{"key": {"watch"}, "value": {"yes"}}, "reason", "under review", func() string {
				if got := tags(f.profile(t, "u1")); got != "fixed=x,segment=vip,watch=yes" {
					return "tags = " + got
				}
				return ""
			}},
			{"untag", url.Values{"key": {"segment"}}, "reason", "no longer relevant", func() string {
				if got := tags(f.profile(t, "u1")); got != "fixed=x,watch=yes" {
					return "tags = " + got
				}
				return ""
			}},
			{"comment", url.Values{}, "comment", "Called the customer; documents follow by mail.", func() string {
				newest := f.timelineEntries(t, "u1")[0].(schema.Object)
				if changes := newest["changes"].([]any); len(changes) != 0 {
					return fmt.Sprintf("a comment changed %v", changes)
				}
				return ""
			}},
		} {
			path := "/console/users/consumer/u1/" + tc.action
			with := func(token string, reason bool) url.Values {
				form := url.Values{}
				for k, v := range tc.form {
					form[k] = v
				}
				if token != "" {
					form.Set("csrf", token)
				}
				if reason {
					form.Set(tc.reasonField, tc.reason)
				}
				return form
			}
			before := len(f.timelineEntries(t, "u1"))
			for _, refused := range []struct {
				name   string
				br     *browser
				form   url.Values
				status int
			}{
				{"a viewer", viewer, with(viewerToken, true), http.StatusForbidden},
				{"no CSRF token", analyst, with("", true), http.StatusForbidden},
				{"a forged CSRF token", analyst, with("forged", true), http.StatusForbidden},
				{"no reason", analyst, with(token, false), http.StatusBadRequest},
				{"a blank reason", analyst, func() url.Values { v := with(token, false); v.Set(tc.reasonField, "  \t"); return v }(), http.StatusBadRequest},
			} {
				if a := refused.br.do("POST", path, refused.form); a.status != refused.status {
					t.Errorf("%s %v, %s: %d, want %d", tc.action, tc.form, refused.name, a.status, refused.status)
				}
			}
			if n := len(f.timelineEntries(t, "u1")); n != before {
				t.Fatalf("%s %v: refused forms wrote %d entries", tc.action, tc.form, n-before)
			}
			a := analyst.do("POST", path, with(token, true))
			if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/users/consumer/u1" {
				t.Fatalf("%s %v: %d %s", tc.action, tc.form, a.status, a.body)
			}
			if problem := tc.check(); problem != "" {
				t.Errorf("%s %v: %s", tc.action, tc.form, problem)
			}
			// The newest event is the action's: origin, actor and reason (rules' changes may
			// follow it in the timeline, as for any write).
			var event schema.Object
			for _, e := range f.timelineEntries(t, "u1") {
				if e.(schema.Object)["type"] == "EVENT" {
					event = e.(schema.Object)
					break
				}
			}
			if event["origin"] != "CONSOLE" || event["actor"] != "analyst:ann@example.com" || event["reason"] != tc.reason ||
				!strings.HasPrefix(fmt.Sprint(event["eventId"]), "console-") {
				t.Errorf("%s %v: the timeline's newest event = %v", tc.action, tc.form, event)
			}
		}

		// A level set without the lock while the level is locked would be ignored: it is refused.
		unlocked := level(f.risk(t, "u1"), "kyc")
		if a := analyst.do("POST", "/console/users/consumer/u1/risk", url.Values{"csrf": {token}, "score": {"KRS"}, "mode": {"lock"}, "reason": {"freeze"}}); a.status != http.StatusSeeOther {
			t.Fatalf("lock the KRS at its level: %d", a.status)
		}
		if got := level(f.risk(t, "u1"), "kyc"); !strings.HasSuffix(unlocked, "locked=false") || got != strings.TrimSuffix(unlocked, "false")+"true" {
			t.Errorf("the KRS locked at its level = %s, was %s", got, unlocked)
		}

		// Tags the client marked not editable in the console stay; unknown tags and levels are refused.
		for _, bad := range []struct {
			action string
			form   url.Values
		}{
			{"untag", url.Values{"key": {"fixed"}}},
			{"tag", url.Values{"key": {"fixed"}, "value": {"y"}}},
			{"untag", url.Values{"key": {"nothing"}}},
			{"tag", url.Values{"key": {""}, "value": {"y"}}},
			{"risk", url.Values{"score": {"CRA"}, "mode": {"lock"}, "level": {"EXTREME"}}},
			{"risk", url.Values{"score": {"XYZ"}, "mode": {"lock"}}},
			{"risk", url.Values{"score": {"CRA"}, "mode": {"set"}}},
			{"risk", url.Values{"score": {"CRA"}, "mode": {"release"}, "level": {"LOW"}}},
			{"risk", url.Values{"score": {"CRA"}, "mode": {"forever"}}},
			{"risk", url.Values{"score": {"KRS"}, "mode": {"set"}, "level": {"LOW"}}},
		} {
			before := len(f.timelineEntries(t, "u1"))
			bad.form.Set("csrf", token)
			bad.form.Set("reason", "because")
			if a := analyst.do("POST", "/console/users/consumer/u1/"+bad.action, bad.form); a.status != http.StatusBadRequest {
				t.Errorf("%s %v: %d, want 400", bad.action, bad.form, a.status)
			}
			if n := len(f.timelineEntries(t, "u1")); n != before {
				t.Errorf("%s %v: a refused form wrote %d entries", bad.action, bad.form, n-before)
			}
		}
		if a := analyst.do("POST", "/console/users/consumer/u1/erase", url.Values{"csrf": {token}, "reason": {"x"}}); a.status != http.StatusNotFound {
			t.Errorf("an unknown action: %d", a.status)
		}

		// The page shows the comment and the actions in the timeline.
		page = analyst.do("GET", "/console/users/consumer/u1", nil)
		for _, want := range []string{"Called the customer; documents follow by mail.", "CONSOLE · analyst:ann@example.com", "no longer relevant"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the user page lacks %q", want)
			}
		}
		// Webhooks ran as for an API write: the tag changes were notified.
		deliveries, err := f.svc.UserDeliveries(ctx, f.tenant, vigil.Consumer, "u1", "", vigil.MaxUserDeliveries)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(deliveries), `"type":"USER_TAGS_UPDATED"`); n != 3 {
			t.Errorf("%d USER_TAGS_UPDATED deliveries, want 3: %s", n, deliveries)
		}
		// Each action's audit record names the analyst.
		if _, err := f.svc.SealAudit(ctx); err != nil {
			t.Fatal(err)
		}
		audit, err := f.svc.AuditPage(ctx, f.tenant, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var records struct {
			Records []struct {
				Actor, Action string
			} `json:"records"`
		}
		if err := json.Unmarshal(audit, &records); err != nil {
			t.Fatalf("audit page: %v\n%s", err, audit)
		}
		byAnalyst := 0
		for _, r := range records.Records {
			if r.Actor == "console:ann@example.com" {
				byAnalyst++
			}
		}
		if byAnalyst != 8 {
			t.Errorf("%d audit records name console:ann@example.com, want one per action (8):\n%s", byAnalyst, audit)
		}
	})
}
