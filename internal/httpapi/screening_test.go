package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestScreeningEndpoints: a tenant's own list by API, a hit on create with its sanctionsDetails,
// the stored search behind it, the ad hoc search, a cleared match, and bad input refused in
// Flagright's error shape.
func TestScreeningEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		put := func(path, body string) response {
			return s.do(t, "PUT", path, strings.NewReader(body), map[string]string{"x-api-key": s.key})
		}
		r := put("/screening/lists/watch", `{"kind":"SANCTIONS","entries":[{"id":"w1","name":"Boris Grebenshchikov","dateOfBirth":"1953","country":"RU"},{"name":"Acme Smuggling Ltd","type":"BUSINESS"}]}`)
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `"added":2`) {
			t.Fatalf("PUT list: %d %s", r.status, r.body)
		}
		r = s.post(t, "/consumer/users", `{"userId":"boris","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Boris","lastName":"Grebenshchikov"},"dateOfBirth":"1953-11-27"}}`)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var details schema.Object
		for _, h := range r.object(t)["hitRules"].([]any) {
			if h := h.(schema.Object); h["ruleInstanceId"] == "R-U15.1" {
				details = h["ruleHitMeta"].(schema.Object)["sanctionsDetails"].([]any)[0].(schema.Object)
			}
		}
		if details == nil || details["entityType"] != "CONSUMER_NAME" || !strings.HasSuffix(details["sanctionHitIds"].([]any)[0].(string), ":watch:w1") {
			t.Fatalf("sanctionsDetails %v in %s", details, r.body)
		}
		hitID := details["sanctionHitIds"].([]any)[0].(string)
		r = s.get(t, "/screening/searches/"+details["searchId"].(string))
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `"hitId":"`+hitID+`"`) || !strings.Contains(string(r.body), `"evidence"`) {
			t.Fatalf("GET search: %d %s", r.status, r.body)
		}
		if r = s.get(t, "/screening/lists"); r.status != http.StatusOK || !strings.Contains(string(r.body), `"name":"watch"`) {
			t.Fatalf("GET lists: %d %s", r.status, r.body)
		}
		r = s.post(t, "/screening/search", `{"name":"Boris Grebenshikov","type":"PERSON","dateOfBirth":"1953","country":"RU"}`)
		if r.status != http.StatusOK || len(r.object(t)["hits"].([]any)) != 1 {
			t.Fatalf("ad hoc search: %d %s", r.status, r.body)
		}
		if r = s.post(t, "/screening/search", `{"name":"Nobody Atall"}`); r.status != http.StatusOK || len(r.object(t)["hits"].([]any)) != 0 {
			t.Fatalf("ad hoc search without a match: %d %s", r.status, r.body)
		}
		r = s.post(t, "/screening/clearings", `{"userId":"boris","hitId":"`+hitID+`","reason":"a namesake, born elsewhere"}`)
		if r.status != http.StatusCreated {
			t.Fatalf("clear: %d %s", r.status, r.body)
		}
		if r = s.get(t, "/consumer/users/boris"); len(r.object(t)["hitRules"].([]any)) != 0 {
			t.Fatalf("a cleared match still hits: %s", r.body)
		}
		for _, c := range []struct {
			method, path, body string
			status             int
		}{
			{"GET", "/screening/searches/nope", "", http.StatusNotFound},
			{"POST", "/screening/search", `{}`, http.StatusBadRequest},
			{"POST", "/screening/search", `{"name":"` + strings.Repeat("a", 300) + `"}`, http.StatusBadRequest},
			{"POST", "/screening/search", `{"name":"x","type":"ROBOT","dateOfBirth":"soon","country":"Russia"}`, http.StatusBadRequest},
			{"POST", "/screening/search?x=1", `{"name":"x"}`, http.StatusBadRequest},
			{"POST", "/screening/search", `[1]`, http.StatusBadRequest},
			{"POST", "/screening/clearings", `{"userId":"boris","hitId":"` + hitID + `"}`, http.StatusBadRequest},
			{"POST", "/screening/clearings", `{"userId":"boris","hitId":"OFAC-SDN:1","reason":"r"}`, http.StatusNotFound},
			{"PUT", "/screening/lists/bad%20name", `{"kind":"PEP","entries":[]}`, http.StatusBadRequest},
			{"PUT", "/screening/lists/watch", `{"kind":"PEP","entries":[{"name":""}]}`, http.StatusBadRequest},
			{"PUT", "/screening/lists/watch", `{"kind":"OTHER","entries":[]}`, http.StatusBadRequest},
		} {
			r := s.do(t, c.method, c.path, strings.NewReader(c.body), map[string]string{"x-api-key": s.key})
			if r.status != c.status {
				t.Errorf("%s %s %s: %d %s, want %d", c.method, c.path, c.body, r.status, r.body, c.status)
				continue
			}
			if msg, _ := r.object(t)["message"].(string); msg == "" {
				t.Errorf("%s %s: no message in %s", c.method, c.path, r.body)
			}
		}
	})
}

// TestTenantListsAreBounded: a tenant cannot add lists past vigil.MaxTenantLists (every
// process indexes every list); a list it has may still be replaced.
func TestTenantListsAreBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		put := func(name string) response {
			return s.do(t, "PUT", "/screening/lists/"+name, strings.NewReader(`{"kind":"PEP","entries":[{"name":"Ann Example"}]}`),
				map[string]string{"x-api-key": s.key})
		}
		for i := range vigil.MaxTenantLists {
			if r := put(fmt.Sprintf("list-%d", i)); r.status != http.StatusOK {
				t.Fatalf("list %d: %d %s", i, r.status, r.body)
			}
		}
		r := put("one-too-many")
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "at most") {
			t.Fatalf("one list too many: %d %s", r.status, r.body)
		}
		if r := put("list-0"); r.status != http.StatusOK {
			t.Fatalf("replacing a list at the bound: %d %s", r.status, r.body)
		}
		if got := len(s.get(t, "/screening/lists").object(t)["lists"].([]any)); got != vigil.MaxTenantLists {
			t.Fatalf("%d lists, want %d", got, vigil.MaxTenantLists)
		}
	})
}
