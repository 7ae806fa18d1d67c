package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vigil-aml/vigil/bench/benchenv"
)

// benchCase is one measured read: its requests are sent in turn, one at a time.
type benchCase struct {
	name string
	// paths are the requests (path and query), cycled through.
	paths []string
	// console sends them with the analyst's session instead of the API key.
	console bool
}

// measure runs every case runs times and prints its latencies.
func measure(ctx context.Context, srv server, users, runs int) error {
	c := srv.client
	r := rand.New(rand.NewPCG(1, 2))
	some := func(n int) []int { // n users drawn at random
		out := make([]int, n)
		for i := range out {
			out[i] = r.IntN(users)
		}
		return out
	}
	// The creation times of users at two points of the load bound the created ranges: about a
	// tenth of the users, and about a thousandth.
	createdAt := func(i int) (int64, error) {
		var page struct {
			Users []struct {
				CreatedAt int64 `json:"createdAt"`
			} `json:"users"`
		}
		if err := c.getJSON(ctx, "/users?match=exact&q="+userID(i), &page); err != nil {
			return 0, err
		}
		if len(page.Users) != 1 {
			return 0, fmt.Errorf("user %s: found %d", userID(i), len(page.Users))
		}
		return page.Users[0].CreatedAt, nil
	}
	var bounds []int64
	for _, f := range []float64{0.4, 0.5, 0.7, 0.701} {
		at, err := createdAt(int(f * float64(users)))
		if err != nil {
			return err
		}
		bounds = append(bounds, at)
	}
	// Users loaded side by side were stored in any order: each range is from the earlier time.
	wide := fmt.Sprintf("createdFrom=%d&createdTo=%d", min(bounds[0], bounds[1]), max(bounds[0], bounds[1]))
	narrow := fmt.Sprintf("createdFrom=%d&createdTo=%d", min(bounds[2], bounds[3]), max(bounds[2], bounds[3]))

	byID, emails, idPrefixes, userPaths, timelines, asOfs, consolePages := []string{}, []string{}, []string{}, []string{}, []string{}, []string{}, []string{}
	for _, i := range some(50) {
		kind := "consumer"
		if isBusiness(i) {
			kind = "business"
		}
		byID = append(byID, "/users?match=exact&q="+userID(i))
		var profile struct {
			ContactDetails struct {
				EmailIDs []string `json:"emailIds"`
			} `json:"contactDetails"`
		}
		if !isBusiness(i) {
			json.Unmarshal(userJSON(i), &profile)
			emails = append(emails, "/users?match=exact&q="+url.QueryEscape(profile.ContactDetails.EmailIDs[0]))
		}
		idPrefixes = append(idPrefixes, "/users?q="+userID(i)[:7]) // ten users
		userPaths = append(userPaths, "/"+kind+"/users/"+userID(i))
		timelines = append(timelines, "/"+kind+"/users/"+userID(i)+"/timeline")
		// Between the first and the second event.
		asOfs = append(asOfs, fmt.Sprintf("/%s/users/%s?asOf=%d", kind, userID(i), baseTimestamp+int64(i)*60_000+90*60_000))
		consolePages = append(consolePages, "/console/users/"+kind+"/"+userID(i))
	}
	cases := []benchCase{
		{"every user, newest first", []string{"/users"}, false},
		{"name prefix (3 letters)", []string{"/users?q=smi", "/users?q=mar", "/users?q=joh", "/users?q=wil", "/users?q=gar"}, false},
		{"name prefix (full last name)", []string{"/users?q=garcia", "/users?q=nguyen", "/users?q=schmidt"}, false},
		{"full name, exact", []string{"/users?match=exact&q=mary+smith", "/users?match=exact&q=john+garcia"}, false},
		{"user id, exact", byID, false},
		{"user id prefix (10 users)", idPrefixes, false},
		{"email, exact", emails, false},
		{"type", []string{"/users?type=BUSINESS", "/users?type=CONSUMER"}, false},
		{"state", []string{"/users?state=SUSPENDED", "/users?state=ACTIVE", "/users?state=UNACCEPTABLE"}, false},
		{"kycStatus", []string{"/users?kycStatus=FAILED", "/users?kycStatus=SUCCESSFUL", "/users?kycStatus=MANUAL_REVIEW"}, false},
		{"craRiskLevel", []string{"/users?craRiskLevel=VERY_HIGH", "/users?craRiskLevel=LOW", "/users?craRiskLevel=HIGH"}, false},
		{"tag", []string{"/users?tag=vip", "/users?tag=segment%3Dsme", "/users?tag=segment"}, false},
		{"ruleHit", []string{"/users?ruleHit=R-U4.1", "/users?ruleHit=R-U10", "/users?ruleHit=R-U5.1"}, false},
		{"created range (a tenth)", []string{"/users?" + wide}, false},
		{"created range (a thousandth)", []string{"/users?" + narrow}, false},
		{"state + kycStatus", []string{"/users?state=ACTIVE&kycStatus=IN_PROGRESS", "/users?state=BLOCKED&kycStatus=FAILED"}, false},
		{"type + craRiskLevel", []string{"/users?type=BUSINESS&craRiskLevel=VERY_HIGH"}, false},
		{"name prefix + state", []string{"/users?q=smi&state=SUSPENDED", "/users?q=mar&state=ACTIVE"}, false},
		{"tag + ruleHit", []string{"/users?tag=vip&ruleHit=R-U10.1"}, false},
		{"kycStatus + created range", []string{"/users?kycStatus=FAILED&" + wide}, false},
		{"GET user", userPaths, false},
		{"timeline", timelines, false},
		{"GET user ?asOf", asOfs, false},
		{"console users page (state)", []string{"/console/users?state=SUSPENDED", "/console/users?q=smi"}, true},
		{"console user page", consolePages, true},
	}
	// A later page of some searches: the cursor of the tenth page.
	for _, base := range []string{"/users", "/users?state=SUSPENDED", "/users?q=smi", "/users?ruleHit=R-U4.1", "/users?state=ACTIVE&kycStatus=IN_PROGRESS"} {
		path, n, err := c.pageAfter(ctx, base, 10)
		if err != nil {
			return err
		}
		if n > 0 {
			cases = append(cases, benchCase{fmt.Sprintf("page %d of %s", n+1, strings.TrimPrefix(base, "/users")), []string{path}, false})
		}
	}
	// Signing in writes a session: beside a load still running, SQLite's writer may be busy.
	session, err := srv.signIn(ctx)
	for try := 0; err != nil && try < 10; try++ {
		time.Sleep(2 * time.Second)
		session, err = srv.signIn(ctx)
	}
	if err != nil {
		return err
	}

	// The server's CPU time per request moves much less than the latencies with what else the
	// machine runs; on PostgreSQL it leaves out the database's own processes.
	fmt.Printf("%-44s %5s %9s %9s %9s %9s %s\n", "case", "runs", "p50", "p99", "max", "cpu/req", "users on a page (first request)")
	var worst time.Duration
	for _, tc := range cases {
		send := c.get
		if tc.console {
			send = session
		}
		shown := ""
		for i, p := range tc.paths[:min(3, len(tc.paths))] { // warm-up, and what a page holds
			status, body, err := send(ctx, p)
			if err != nil || status != http.StatusOK {
				return fmt.Errorf("%s: %s: %d %v %.200s", tc.name, p, status, err, body)
			}
			if i == 0 {
				shown = pageSize(tc.console, body)
			}
		}
		lat := make([]time.Duration, 0, runs)
		cpuBefore, cpuOK := benchenv.CPUTime(srv.pid)
		for n := range runs {
			p := tc.paths[n%len(tc.paths)]
			began := time.Now()
			status, body, err := send(ctx, p)
			lat = append(lat, time.Since(began))
			if err != nil || status != http.StatusOK {
				return fmt.Errorf("%s: %s: %d %v %.200s", tc.name, p, status, err, body)
			}
		}
		cpuAfter, cpuOK2 := benchenv.CPUTime(srv.pid)
		cpu := "-"
		if cpuOK && cpuOK2 {
			cpu = ms((cpuAfter - cpuBefore) / time.Duration(runs))
		}
		slices.Sort(lat)
		p99 := lat[(len(lat)*99+99)/100-1]
		worst = max(worst, p99)
		fmt.Printf("%-44s %5d %9s %9s %9s %9s %s\n", tc.name, runs, ms(lat[len(lat)/2]), ms(p99), ms(lat[len(lat)-1]), cpu, shown)
	}
	fmt.Printf("worst p99: %s\n", ms(worst))
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// pageSize tells how many users a page holds.
func pageSize(console bool, body []byte) string {
	if console {
		return fmt.Sprintf("%d links to users", strings.Count(string(body), `href="/console/users/`))
	}
	var page struct {
		Users []json.RawMessage `json:"users"`
		Next  string            `json:"next"`
	}
	if json.Unmarshal(body, &page) != nil || (page.Users == nil && page.Next == "") {
		return ""
	}
	more := ""
	if page.Next != "" {
		more = ", more"
	}
	return fmt.Sprintf("%d%s", len(page.Users), more)
}

// get sends a GET with the API key.
func (c *client) get(ctx context.Context, path string) (int, []byte, error) {
	return c.do(ctx, http.MethodGet, path, nil)
}

func (c *client) getJSON(ctx context.Context, path string, v any) error {
	status, body, err := c.get(ctx, path)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("%s: %d %.200s", path, status, body)
	}
	return json.Unmarshal(body, v)
}

// pageAfter follows a search's pages up to n times and returns the request of the page after
// and how many it followed (fewer when the search has fewer pages).
func (c *client) pageAfter(ctx context.Context, path string, n int) (string, int, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	cursor, followed := "", 0
	for range n {
		p := path
		if cursor != "" {
			p += sep + "cursor=" + url.QueryEscape(cursor)
		}
		var page struct {
			Next string `json:"next"`
		}
		if err := c.getJSON(ctx, p, &page); err != nil {
			return "", 0, err
		}
		if page.Next == "" {
			break
		}
		cursor, followed = page.Next, followed+1
	}
	return path + sep + "cursor=" + url.QueryEscape(cursor), followed, nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs the analyst in to the console and returns a GET with the session.
func (srv server) signIn(ctx context.Context) (func(context.Context, string) (int, []byte, error), error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(ctx context.Context, path string) (int, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.client.base+path, nil)
		if err != nil {
			return 0, nil, err
		}
		res, err := hc.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		return res.StatusCode, body, err
	}
	_, page, err := get(ctx, "/console/signin")
	if err != nil {
		return nil, err
	}
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("the sign-in page has no csrf field: %.300s", page)
	}
	form := url.Values{"email": {srv.analyst}, "password": {srv.password}, "csrf": {string(m[1])}}
	res, err := hc.PostForm(srv.client.base+"/console/signin", form)
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("console sign-in: %d", res.StatusCode)
	}
	return get, nil
}
