package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
)

// TestUnknownQueryParameters: a query parameter the endpoint does not accept (a misspelled
// flag above all) is 400 in Flagright's error shape naming the accepted ones, on writes and
// reads alike, and nothing is written.
func TestUnknownQueryParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		if r := s.post(t, "/consumer/users?lockCraRiskLevel=false", user); r.status != http.StatusCreated {
			t.Fatalf("create with an accepted flag: %d %s", r.status, r.body)
		}
		batch := `{"batchId":"b1","data":[{"userId":"b-u1","createdTimestamp":1700000000000}]}`
		if r := s.post(t, "/batch/consumer/users", batch); r.status != http.StatusCreated {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		for _, tc := range []struct {
			method, path, body string
			want               []string // in validationErrors
		}{
			{"POST", "/consumer/users?lockCRARiskLevel=true", `{"userId":"u2","createdTimestamp":1700000000000}`,
				[]string{"lockCRARiskLevel: is not a query parameter of POST /consumer/users", "lockCraRiskLevel, lockKycRiskLevel, validateUserId", "did you mean lockCraRiskLevel?"}},
			{"POST", "/business/users?validateUserID=false", `{"userId":"u2","createdTimestamp":1700000000000}`,
				[]string{"validateUserID: is not a query parameter", "did you mean validateUserId?"}},
			{"POST", "/events/consumer/user?lockCraRiskLevel=true&allowUserTypeConversions=true", `{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"occupation":"pilot"}}`,
				[]string{"allowUserTypeConversions: is not a query parameter of POST /events/consumer/user", "allowUserTypeConversion, lockKycRiskLevel, lockCraRiskLevel, changeUserId"}},
			{"POST", "/batch/consumer/users?validateUserId=false", `{"data":[{"userId":"u3","createdTimestamp":1700000000000}]}`,
				[]string{"validateUserId: is not a query parameter of POST /batch/consumer/users, which accepts only lockCraRiskLevel, lockKycRiskLevel"}},
			{"GET", "/batch/consumer/users/b1?pages=2&size=1", "",
				[]string{"pages: is not a query parameter of GET /batch/consumer/users/{batchId}, which accepts only page, pageSize", "size: is not"}},
			{"GET", "/consumer/users/u1?fields=all", "", []string{"fields: is not a query parameter of GET /consumer/users/{userId}, which accepts only asOf"}},
			{"GET", "/users?query=bob", "", []string{"query: is not a query parameter of GET /users, which accepts only q, match"}},
			{"GET", "/webhooks/w1/deliveries?state=FAILED", "", []string{"accepts only status"}},
			{"GET", "/healthz?verbose=1", "", []string{"verbose: is not a query parameter of GET /healthz"}},
			{"GET", "/consumer/users/u1?%zz", "", nil},
		} {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				var body *strings.Reader
				if tc.body != "" {
					body = strings.NewReader(tc.body)
				}
				var r response
				if body != nil {
					r = s.do(t, tc.method, tc.path, body, nil)
				} else {
					r = s.do(t, tc.method, tc.path, nil, nil)
				}
				obj := assertError(t, r, http.StatusBadRequest)
				ve, _ := obj["validationErrors"].(string)
				for _, want := range tc.want {
					if !strings.Contains(ve, want) {
						t.Errorf("validationErrors %q lacks %q", ve, want)
					}
				}
			})
		}
		// Nothing was written by the refused requests.
		if r := s.get(t, "/consumer/users/u2"); r.status != http.StatusNotFound {
			t.Errorf("refused create was stored: %d %s", r.status, r.body)
		}
		if got := s.get(t, "/consumer/users/u1").object(t); got["occupation"] != nil {
			t.Errorf("refused event was applied: %v", got)
		}
		// Accepted parameters still work on reads.
		if r := s.get(t, "/batch/consumer/users/b1?page=1&pageSize=10"); r.status != http.StatusOK {
			t.Errorf("batch page: %d %s", r.status, r.body)
		}
	})
}
