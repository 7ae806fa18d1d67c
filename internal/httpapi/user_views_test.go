package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// newTickingServer is newServer with a clock that moves a millisecond at each reading, so users
// created one after the other have distinct creation times.
func newTickingServer(t *testing.T, b storetest.Backend) *testServer {
	t.Helper()
	var mu sync.Mutex
	now := time.UnixMilli(1_800_000_000_000)
	svc, err := vigil.NewService(b.Open(t), vigil.Options{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Millisecond)
		return now
	}})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}))
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, key: key}
}

// searchIDs runs GET /users?query and lists the user ids of the page, with its next cursor.
func searchIDs(t *testing.T, s *testServer, query string) ([]string, string) {
	t.Helper()
	r := s.get(t, "/users?"+query)
	if r.status != http.StatusOK {
		t.Fatalf("GET /users?%s: %d %s", query, r.status, r.body)
	}
	page := r.object(t)
	var ids []string
	for _, u := range page["users"].([]any) {
		ids = append(ids, u.(schema.Object)["userId"].(string))
	}
	next, _ := page["next"].(string)
	return ids, next
}

func TestUserSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newTickingServer(t, b)
		for _, w := range []struct{ path, body string }{
			{"/consumer/users", `{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Alice","lastName":"Smith"}},
				"contactDetails":{"emailIds":["Alice@Example.com"]},"userStateDetails":{"state":"CREATED"},"kycStatusDetails":{"status":"SUCCESSFUL"}}`},
			{"/consumer/users", `{"userId":"u2","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Bob","lastName":"Smith"}},
				"tags":[{"key":"vip","value":"yes"}]}`},
			{"/business/users", `{"userId":"b1","createdTimestamp":1700000000000,"legalEntity":{"companyGeneralDetails":{"legalName":"Smithers Ltd"}}}`},
			{"/consumer/users", `{"userId":"u3","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Carol","lastName":"Jones"}}}`},
			{"/events/consumer/user", `{"userId":"u1","eventId":"e1","timestamp":1700000005000,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"}}}`},
			{"/events/consumer/user", `{"userId":"u3","eventId":"e2","timestamp":1700000005000,"updatedConsumerUserAttributes":{"tags":[{"key":"vip","value":"no"}]}}`},
		} {
			if r := s.post(t, w.path, w.body); r.status != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", w.path, r.status, r.body)
			}
		}
		cra := s.get(t, "/consumer/users/u1").object(t)["riskLevel"].(string)
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"", []string{"u3", "b1", "u2", "u1"}},
			{"q=smi", []string{"b1", "u2", "u1"}},
			{"q=SMITH", []string{"b1", "u2", "u1"}},
			{"q=alice%40ex", []string{"u1"}},
			{"q=u", []string{"u3", "u2", "u1"}},
			{"q=u&match=exact", nil},
			{"q=U2&match=exact", []string{"u2"}},
			{"q=bob+smith&match=exact", []string{"u2"}},
			{"type=BUSINESS", []string{"b1"}},
			{"type=CONSUMER&q=smith", []string{"u2", "u1"}},
			{"state=ACTIVE", []string{"u1"}},
			{"state=CREATED", nil},
			{"kycStatus=SUCCESSFUL", []string{"u1"}},
			{"tag=vip", []string{"u3", "u2"}},
			{"tag=vip%3Dyes", []string{"u2"}},
			{"tag=vip&q=jones", []string{"u3"}},
			{"craRiskLevel=" + url.QueryEscape(cra) + "&q=u1&match=exact", []string{"u1"}},
			{"createdFrom=1800000000000&createdTo=1800000000000", nil},
			{"createdTo=9999999999999&limit=2", []string{"u3", "b1"}},
		} {
			if got, _ := searchIDs(t, s, tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("GET /users?%s = %v, want %v", tc.query, got, tc.want)
			}
		}
		// Paging: every user once, in order, and the last page has no cursor.
		var all []string
		for query := "limit=1"; query != ""; {
			ids, next := searchIDs(t, s, query)
			all = append(all, ids...)
			query = ""
			if next != "" {
				query = "limit=1&cursor=" + url.QueryEscape(next)
			}
			if len(all) > 10 {
				t.Fatal("the cursor does not end")
			}
		}
		if !slices.Equal(all, []string{"u3", "b1", "u2", "u1"}) {
			t.Errorf("pages of one = %v", all)
		}
		// A summary carries the row's columns.
		r := s.get(t, "/users?q=u1&match=exact").object(t)["users"].([]any)[0].(schema.Object)
		if r["name"] != "Alice Smith" || r["email"] != "Alice@Example.com" || r["state"] != "ACTIVE" || r["kycStatus"] != "SUCCESSFUL" ||
			r["type"] != "CONSUMER" || r["craRiskLevel"] != cra || r["updatedAt"] == r["createdAt"] {
			t.Errorf("summary of u1 = %v", r)
		}
		// An erased user is gone from every search.
		if r := s.do(t, http.MethodDelete, "/consumer/users/u2", nil, nil); r.status != http.StatusOK {
			t.Fatalf("erase: %d %s", r.status, r.body)
		}
		for _, query := range []string{"q=bob", "tag=vip%3Dyes", ""} {
			if got, _ := searchIDs(t, s, query); slices.Contains(got, "u2") {
				t.Errorf("GET /users?%s lists the erased u2: %v", query, got)
			}
		}
		// A rename moves the id's term.
		if r := s.post(t, "/events/consumer/user?changeUserId=true", `{"userId":"u3","eventId":"e3","timestamp":1700000006000,"newUserId":"u9"}`); r.status != http.StatusCreated {
			t.Fatalf("rename: %d %s", r.status, r.body)
		}
		if got, _ := searchIDs(t, s, "q=u3&match=exact"); got != nil {
			t.Errorf("the old id still finds %v", got)
		}
		if got, _ := searchIDs(t, s, "q=u9&match=exact"); !slices.Equal(got, []string{"u9"}) {
			t.Errorf("the new id finds %v", got)
		}
	})
}

func TestUserSearchBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		for _, query := range []string{"limit=0", "limit=101", "limit=x", "createdFrom=yesterday", "createdFrom=-1",
			"createdFrom=5&createdTo=4", "cursor=garbage!", "cursor=" + url.QueryEscape("bm90LWEtY3Vyc29y"), "match=fuzzy",
			"type=PERSON", "q=a&q=b", "sort=name"} {
			assertError(t, s.get(t, "/users?"+query), http.StatusBadRequest)
		}
		if r := s.do(t, http.MethodGet, "/users", nil, map[string]string{"x-api-key": "nope"}); r.status != http.StatusUnauthorized {
			t.Errorf("GET /users without a key: %d", r.status)
		}
	})
}

func TestTimelineAndAsOf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		var answers []schema.Object // each write's answer, in arrival order
		for _, w := range []struct{ path, body string }{
			{"/consumer/users", `{"userId":"u1","createdTimestamp":1700000001000,"userStateDetails":{"state":"CREATED"},"userDetails":{"name":{"firstName":"Al"}}}`},
			{"/events/consumer/user", `{"userId":"u1","eventId":"e1","timestamp":1700000003000,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"}}}`},
			// Late: it folds before e1, and the timeline shows it there.
			{"/events/consumer/user", `{"userId":"u1","eventId":"e2","timestamp":1700000002000,"updatedConsumerUserAttributes":{"userDetails":{"name":{"firstName":"Alan"}}}}`},
		} {
			r := s.post(t, w.path, w.body)
			if r.status != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", w.path, r.status, r.body)
			}
			answers = append(answers, r.object(t))
		}
		r := s.get(t, "/consumer/users/u1/timeline")
		if r.status != http.StatusOK {
			t.Fatalf("timeline: %d %s", r.status, r.body)
		}
		entries := r.object(t)["entries"].([]any)
		var order []string
		for _, e := range entries {
			e := e.(schema.Object)
			id, _ := e["eventId"].(string)
			order = append(order, e["type"].(string)+":"+id)
		}
		if !slices.Equal(order, []string{"EVENT:e1", "EVENT:e2", "CREATE:"}) {
			t.Fatalf("timeline order = %v, want newest first in fold order", order)
		}
		change := func(i int) schema.Object { return entries[i].(schema.Object)["changes"].([]any)[0].(schema.Object) }
		if c := change(0); c["path"] != "userStateDetails.state" || c["before"] != "CREATED" || c["after"] != "ACTIVE" {
			t.Errorf("e1's change = %v", c)
		}
		if c := change(1); c["path"] != "userDetails.name.firstName" || c["before"] != "Al" || c["after"] != "Alan" {
			t.Errorf("e2's change = %v", c)
		}
		if c := change(2); c["path"] != "createdTimestamp" || c["before"] != nil {
			t.Errorf("the creation's first change = %v", c)
		}
		// The results are those of the newest write (by arrival) among the entries folded so
		// far: the creation's alone, then the late e2's (the third write), computed on the whole
		// history it arrived into.
		for _, tc := range []struct {
			asOf        string
			state, name string
			results     int
		}{
			{"1700000001000", "CREATED", "Al", 0},
			{"1700000001999", "CREATED", "Al", 0},
			{"1700000002000", "CREATED", "Alan", 2},
			{"1700000002999", "CREATED", "Alan", 2},
			{"1700000003000", "ACTIVE", "Alan", 2},
			{"99999999999999", "ACTIVE", "Alan", 2},
		} {
			r := s.get(t, "/consumer/users/u1?asOf="+tc.asOf)
			if r.status != http.StatusOK {
				t.Fatalf("asOf %s: %d %s", tc.asOf, r.status, r.body)
			}
			p := r.object(t)
			if p["userStateDetails"].(schema.Object)["state"] != tc.state || p["userDetails"].(schema.Object)["name"].(schema.Object)["firstName"] != tc.name {
				t.Errorf("asOf %s = %s, want state %s and name %s", tc.asOf, r.body, tc.state, tc.name)
			}
			for _, f := range []string{"executedRules", "hitRules", "riskScoreDetails", "status"} {
				if want := answers[tc.results][f]; want == nil || !schema.Equal(p[f], want) {
					t.Errorf("asOf %s: %s = %v, want write %d's %v", tc.asOf, f, p[f], tc.results+1, want)
				}
			}
		}
		if schema.Equal(answers[0]["riskScoreDetails"], answers[2]["riskScoreDetails"]) {
			t.Error("the creation and e2 scored the same: the case cannot tell their results apart")
		}
		assertError(t, s.get(t, "/consumer/users/u1?asOf=1700000000999"), http.StatusNotFound)
		for _, bad := range []string{"asOf=", "asOf=soon", "asOf=-5", "asOf=1&asOf=2"} {
			assertError(t, s.get(t, "/consumer/users/u1?"+bad), http.StatusBadRequest)
		}
		for _, path := range []string{"/business/users/u1/timeline", "/consumer/users/nobody/timeline", "/business/users/u1?asOf=1700000005000"} {
			assertError(t, s.get(t, path), http.StatusNotFound)
		}
		if r := s.do(t, http.MethodDelete, "/consumer/users/u1", nil, nil); r.status != http.StatusOK {
			t.Fatalf("erase: %d %s", r.status, r.body)
		}
		assertError(t, s.get(t, "/consumer/users/u1/timeline"), http.StatusGone)
		assertError(t, s.get(t, "/consumer/users/u1?asOf=1700000005000"), http.StatusGone)
	})
}
