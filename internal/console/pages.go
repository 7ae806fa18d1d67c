package console

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"when":     when,
	"int":      func(v any) string { return strconv.FormatInt(millisOf(v), 10) },
	"json":     showJSON,
	"userPath": userPath,
}

// millisOf reads an epoch-ms number as decoded JSON or Go holds it.
func millisOf(v any) int64 {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			f, _ := n.Float64()
			return int64(f)
		}
		return i
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// when shows an epoch-ms time in UTC.
func when(v any) string {
	ms := millisOf(v)
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05 UTC")
}

// showJSON shows a field's value compactly; absent shows as a dash.
func showJSON(v any) string {
	if v == nil {
		return "—"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// userPath is the console page of a user.
func userPath(kind any, userID any) string {
	return "/console/users/" + strings.ToLower(fmt.Sprint(kind)) + "/" + url.PathEscape(fmt.Sprint(userID))
}

// searchFields are the users page's query parameters, passed through to GET /users.
var searchFields = []string{"q", "match", "type", "state", "kycStatus", "craRiskLevel", "tag", "ruleHit", "createdFrom", "createdTo", "cursor"}

// usersPage lists users: the search and filters of GET /users, a page at a time.
func (c *console) usersPage(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	q := r.URL.Query()
	shown := map[string]string{}
	for _, f := range searchFields {
		shown[f] = strings.TrimSpace(q.Get(f))
	}
	search := vigil.UserSearch{Query: shown["q"], Exact: shown["match"] == "exact", Type: shown["type"], State: shown["state"],
		KYCStatus: shown["kycStatus"], CRARiskLevel: shown["craRiskLevel"], Tag: shown["tag"], RuleHit: shown["ruleHit"], Cursor: shown["cursor"]}
	var err error
	if search.CreatedFrom, err = dayMillis(shown["createdFrom"], false); err == nil {
		search.CreatedTo, err = dayMillis(shown["createdTo"], true)
	}
	var reply []byte
	if err == nil {
		reply, err = c.svc.SearchUsers(r.Context(), in.Tenant, search)
	}
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	var result struct {
		Users []map[string]any `json:"users"`
		Next  string           `json:"next"`
	}
	if err := json.Unmarshal(reply, &result); err != nil {
		c.fail(w, r, in, err)
		return
	}
	data := struct {
		Query map[string]string
		Users []map[string]any
		Next  string
	}{Query: shown, Users: result.Users}
	if result.Next != "" {
		next := url.Values{}
		for _, f := range searchFields {
			if shown[f] != "" {
				next.Set(f, shown[f])
			}
		}
		next.Set("cursor", result.Next)
		data.Next = "/console/users?" + next.Encode()
	}
	c.render(w, r, http.StatusOK, "users", page{Analyst: &in.Analyst, Tenant: in.Tenant.Name, CSRF: in.Session.CSRF, Data: data})
}

// dayMillis reads a date input (YYYY-MM-DD, UTC) as epoch ms: its start, or its last
// millisecond when end is set; "" is no bound.
func dayMillis(s string, end bool) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil || t.Year() < 1970 {
		return 0, &vigil.Error{Code: vigil.CodeInvalid, Message: fmt.Sprintf("%q is not a date (YYYY-MM-DD, from 1970)", s)}
	}
	if end {
		t = t.Add(24*time.Hour - time.Millisecond)
	}
	return t.UnixMilli(), nil
}

// kinds maps the user page's path segment to the user type.
var kinds = map[string]vigil.Kind{"consumer": vigil.Consumer, "business": vigil.Business}

// userPage shows a user: the profile (or, with asOf, the profile as it was then), its risk with
// each factor's contribution, its latest rule results with hits first, and its timeline.
func (c *console) userPage(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	kind, ok := kinds[r.PathValue("kind")]
	if !ok {
		c.fail(w, r, in, &vigil.Error{Code: vigil.CodeNotFound, Message: "No such page"})
		return
	}
	ctx, userID := r.Context(), r.PathValue("userId")
	data := struct {
		Kind, UserID, Path, AsOf, Profile string
		AsOfMillis                        int64
		Risk                              map[string]any
		Rules                             map[string]any
		Timeline                          []any
		// CanAct shows the actions' forms (analysts and admins); Actions are their values.
		CanAct  bool
		Actions map[string][]string
	}{CanAct: in.Analyst.Role.Allows(vigil.RoleAnalyst), Actions: map[string][]string{"state": actions["state"].values, "kyc": actions["kyc"].values},
		Kind: strings.ToLower(string(kind)), UserID: userID, Path: userPath(kind, userID), AsOf: strings.TrimSpace(r.URL.Query().Get("asOf"))}
	var profile []byte
	var err error
	if data.AsOf != "" {
		if data.AsOfMillis, err = strconv.ParseInt(data.AsOf, 10, 64); err != nil || data.AsOfMillis < 0 {
			c.fail(w, r, in, &vigil.Error{Code: vigil.CodeInvalid, Message: fmt.Sprintf("%q is not a time in epoch milliseconds", data.AsOf)})
			return
		}
		profile, err = c.svc.UserAsOf(ctx, in.Tenant, kind, userID, data.AsOfMillis)
	} else {
		profile, err = c.svc.User(ctx, in.Tenant, kind, userID)
	}
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	data.Profile = indent(profile)
	timeline, err := c.svc.Timeline(ctx, in.Tenant, kind, userID)
	if err == nil {
		data.Timeline, err = field[[]any](timeline, "entries")
	}
	if err == nil && data.AsOf == "" {
		if riskJSON, rerr := c.svc.ExplainRisk(ctx, in.Tenant, kind, userID); rerr == nil {
			data.Risk, err = decodeMap(riskJSON)
		} // not assessed yet: the page shows no risk
		if err == nil {
			var rulesJSON []byte
			if rulesJSON, err = c.svc.UserRules(ctx, in.Tenant, kind, userID); err == nil {
				data.Rules, err = ruleRows(rulesJSON)
			}
		}
	}
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	c.render(w, r, http.StatusOK, "user", page{Analyst: &in.Analyst, Tenant: in.Tenant.Name, CSRF: in.Session.CSRF, Data: data})
}

// ruleRows is the latest rule results with the hit rules first (then by rule id).
func ruleRows(rulesJSON []byte) (map[string]any, error) {
	m, err := decodeMap(rulesJSON)
	if err != nil {
		return nil, err
	}
	executed, _ := m["executedRules"].([]any)
	sort.SliceStable(executed, func(i, j int) bool {
		a, _ := executed[i].(schema.Object)
		b, _ := executed[j].(schema.Object)
		if a["ruleHit"] != b["ruleHit"] {
			return a["ruleHit"] == true
		}
		return fmt.Sprint(a["ruleInstanceId"]) < fmt.Sprint(b["ruleInstanceId"])
	})
	m["rows"] = executed
	return m, nil
}

func decodeMap(data []byte) (map[string]any, error) {
	obj, err := schema.DecodeObject(data)
	return obj, err
}

func field[T any](data []byte, name string) (T, error) {
	var zero T
	obj, err := schema.DecodeObject(data)
	if err != nil {
		return zero, err
	}
	v, _ := obj[name].(T)
	return v, nil
}

// indent pretty-prints JSON for the page.
func indent(data []byte) string {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return string(data)
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}
