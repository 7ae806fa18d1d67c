package console

import (
	"context"
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

// userPage shows a user: the profile, its risk with each factor's contribution, its rule results
// with hits first, its webhook deliveries and its timeline. With asOf (a time) or entry (a
// history entry's seq), the profile, risk and rule results are those right after that entry
// (Service.UserAt).
func (c *console) userPage(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	kind, ok := kinds[r.PathValue("kind")]
	if !ok {
		c.fail(w, r, in, &vigil.Error{Code: vigil.CodeNotFound, Message: "No such page"})
		return
	}
	ctx, userID, q := r.Context(), r.PathValue("userId"), r.URL.Query()
	data := userData{CanAct: in.Analyst.Role.Allows(vigil.RoleAnalyst),
		Actions: map[string][]string{"state": enumActions["state"].values, "kyc": enumActions["kyc"].values, "level": riskLevels},
		Kind:    strings.ToLower(string(kind)), UserID: userID, Path: userPath(kind, userID),
		AsOf: strings.TrimSpace(q.Get("asOf")), Entry: strings.TrimSpace(q.Get("entry"))}
	var err error
	if data.AsOf != "" || data.Entry != "" {
		err = c.pointInTime(ctx, in, kind, &data)
	} else {
		err = c.latest(ctx, in, kind, &data)
	}
	if err == nil {
		err = c.deliveries(ctx, in, kind, strings.TrimSpace(q.Get("deliveries")), &data)
	}
	if err == nil {
		var timeline []byte
		if timeline, err = c.svc.Timeline(ctx, in.Tenant, kind, userID); err == nil {
			data.Timeline, err = field[[]any](timeline, "entries")
		}
	}
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	c.render(w, r, http.StatusOK, "user", page{Analyst: &in.Analyst, Tenant: in.Tenant.Name, CSRF: in.Session.CSRF, Data: data})
}

// userData is the user page's data.
type userData struct {
	Kind, UserID, Path, Profile string
	// AsOf and Entry are the point in time asked for (empty: now); Seq, Timestamp and ResultsSeq
	// say which entry was shown and which write's results.
	AsOf, Entry                string
	Seq, Timestamp, ResultsSeq int64
	Risk                       map[string]any
	// RiskDetails are the point in time's scores when its entry kept no factors.
	RiskDetails map[string]any
	Rules       map[string]any
	Timeline    []any
	Deliveries  []any
	// MoreDeliveries is the link to the next page of deliveries.
	MoreDeliveries string
	// CanAct shows the actions' forms (analysts and admins); Actions are their choices and Tags
	// the user's current tags (the ones a removal may name).
	CanAct  bool
	Actions map[string][]string
	Tags    []schema.Object
}

// latest fills the page with the user as it is: the profile, the risk explanation and the
// latest rule results.
func (c *console) latest(ctx context.Context, in vigil.SignedIn, kind vigil.Kind, data *userData) error {
	profile, err := c.svc.User(ctx, in.Tenant, kind, data.UserID)
	if err != nil {
		return err
	}
	data.Profile = indentProfile(profile)
	if p, err := schema.DecodeObject(profile); err == nil {
		data.Tags = tagsOf(p)
	}
	if riskJSON, rerr := c.svc.ExplainRisk(ctx, in.Tenant, kind, data.UserID); rerr == nil {
		if data.Risk, err = decodeMap(riskJSON); err != nil {
			return err
		}
	} // not assessed yet: the page shows no risk
	rulesJSON, err := c.svc.UserRules(ctx, in.Tenant, kind, data.UserID)
	if err != nil {
		return err
	}
	data.Rules, err = ruleRows(rulesJSON)
	return err
}

// pointInTime fills the page with the user right after the entry asked for.
func (c *console) pointInTime(ctx context.Context, in vigil.SignedIn, kind vigil.Kind, data *userData) error {
	var asOf, seq int64
	var err error
	if data.AsOf != "" {
		if asOf, err = strconv.ParseInt(data.AsOf, 10, 64); err != nil || asOf < 0 {
			return &vigil.Error{Code: vigil.CodeInvalid, Message: fmt.Sprintf("%q is not a time in epoch milliseconds", data.AsOf)}
		}
	}
	if data.Entry != "" {
		if seq, err = strconv.ParseInt(data.Entry, 10, 64); err != nil || seq <= 0 {
			return &vigil.Error{Code: vigil.CodeInvalid, Message: fmt.Sprintf("%q is not a history entry's number", data.Entry)}
		}
	}
	reply, err := c.svc.UserAt(ctx, in.Tenant, kind, data.UserID, asOf, seq)
	if err != nil {
		return err
	}
	var at struct {
		Seq        int64           `json:"seq"`
		Timestamp  int64           `json:"timestamp"`
		Profile    json.RawMessage `json:"profile"`
		Results    json.RawMessage `json:"results"`
		ResultsSeq int64           `json:"resultsSeq"`
		Risk       json.RawMessage `json:"risk"`
	}
	if err := json.Unmarshal(reply, &at); err != nil {
		return err
	}
	data.Seq, data.Timestamp, data.ResultsSeq, data.Profile = at.Seq, at.Timestamp, at.ResultsSeq, indent(at.Profile)
	if len(at.Risk) > 0 {
		if data.Risk, err = decodeMap(at.Risk); err != nil {
			return err
		}
	}
	if len(at.Results) > 0 {
		if data.Rules, err = ruleRows(at.Results); err != nil {
			return err
		}
		if data.Risk == nil {
			data.RiskDetails, _ = data.Rules["riskScoreDetails"].(schema.Object)
		}
	}
	return nil
}

// deliveries fills the page's webhook deliveries: a page of them from the cursor.
func (c *console) deliveries(ctx context.Context, in vigil.SignedIn, kind vigil.Kind, cursor string, data *userData) error {
	reply, err := c.svc.UserDeliveries(ctx, in.Tenant, kind, data.UserID, cursor, 0)
	if err != nil {
		return err
	}
	m, err := decodeMap(reply)
	if err != nil {
		return err
	}
	data.Deliveries, _ = m["deliveries"].([]any)
	if next, _ := m["next"].(string); next != "" {
		more := url.Values{"deliveries": {next}}
		if data.AsOf != "" {
			more.Set("asOf", data.AsOf)
		}
		if data.Entry != "" {
			more.Set("entry", data.Entry)
		}
		data.MoreDeliveries = data.Path + "?" + more.Encode()
	}
	return nil
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

// indentProfile indents a user's answer without its server-owned parts (rule results, risk),
// which the page shows in their own sections.
func indentProfile(data []byte) string {
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		return indent(data)
	}
	for k := range v {
		if vigil.IsServerOwned(k) {
			delete(v, k)
		}
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}

// indent pretty-prints JSON for a <pre> box; what does not parse is shown as it is.
func indent(data []byte) string {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return string(data)
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}
