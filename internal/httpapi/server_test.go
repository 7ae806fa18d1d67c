package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

type testServer struct {
	*httptest.Server
	key string
}

func newServer(t *testing.T, b storetest.Backend) *testServer {
	t.Helper()
	ctx := context.Background()
	store := b.Open(t)
	svc, err := vigil.NewService(store, vigil.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}))
	t.Cleanup(func() {
		srv.Close()
	})
	return &testServer{Server: srv, key: key}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) object(t *testing.T) schema.Object {
	t.Helper()
	obj, err := schema.DecodeObject(r.body)
	if err != nil {
		t.Fatalf("response %d is not a JSON object: %s", r.status, r.body)
	}
	return obj
}

func (s *testServer) do(t *testing.T, method, path string, body io.Reader, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := header["x-api-key"]; !ok {
		req.Header.Set("x-api-key", s.key)
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

func (s *testServer) post(t *testing.T, path, body string) response {
	return s.do(t, http.MethodPost, path, strings.NewReader(body), nil)
}

func (s *testServer) get(t *testing.T, path string) response {
	return s.do(t, http.MethodGet, path, nil, nil)
}

// assertError checks Flagright's error shape: a JSON content type and a string message.
func assertError(t *testing.T, r response, status int) schema.Object {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type = %q, want application/json", ct)
	}
	obj := r.object(t)
	if msg, ok := obj["message"].(string); !ok || msg == "" {
		t.Fatalf("error body %s has no message", r.body)
	}
	return obj
}

const user = `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"}}`

func TestCreateGetAndEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		r := s.post(t, "/consumer/users", user)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		created := r.object(t)
		if created["userId"] != "u1" || created["status"] != "ALLOW" || len(created["executedRules"].([]any)) == 0 || len(created["hitRules"].([]any)) != 0 {
			t.Fatalf("create body = %s; want the default rules executed and none hit", r.body)
		}
		if rd, ok := created["riskScoreDetails"].(schema.Object); !ok || rd["kycRiskLevel"] == nil || rd["craRiskScore"] == nil {
			t.Fatalf("create body has no riskScoreDetails: %s", r.body)
		}
		r = s.post(t, "/events/consumer/user", `{"userId":"u1","eventId":"ev 1/ü","timestamp":1700000001000,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE","reason":"KYC done"}}}`)
		if r.status != http.StatusCreated {
			t.Fatalf("event: %d %s", r.status, r.body)
		}
		if loc := r.header.Get("Location"); loc != "/events/consumer/user/ev%201%2F%C3%BC" {
			t.Fatalf("Location = %q", loc)
		}
		ev := r.object(t)
		if ev["userStateDetails"].(schema.Object)["state"] != "ACTIVE" || ev["userId"] != "u1" {
			t.Fatalf("event response is not the updated user: %s", r.body)
		}
		r = s.get(t, "/consumer/users/u1")
		if r.status != http.StatusOK {
			t.Fatalf("get: %d %s", r.status, r.body)
		}
		got := r.object(t)
		if got["userStateDetails"].(schema.Object)["reason"] != "KYC done" {
			t.Fatalf("get body = %s", r.body)
		}
		// ACTIVE without a successful KYC hits the default library's R-U10 (FLAG).
		hits := got["hitRules"].([]any)
		if got["status"] != "FLAG" || len(hits) != 1 || hits[0].(schema.Object)["ruleInstanceId"] != "R-U10.1" {
			t.Fatalf("status %v, hits %v; want FLAG from R-U10.1", got["status"], hits)
		}
		r = s.get(t, "/events/consumer/user/ev%201%2F%C3%BC")
		if r.status != http.StatusOK {
			t.Fatalf("get event: %d %s", r.status, r.body)
		}
		if e := r.object(t); e["eventId"] != "ev 1/ü" || e["executedRules"] == nil || e["hitRules"] == nil {
			t.Fatalf("get event body = %s", r.body)
		}
	})
}

func TestEventReplayAndConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		s.post(t, "/consumer/users", user)
		ev := `{"userId":"u1","eventId":"e1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"tags":[{"key":"a","value":"1"}]}}`
		first := s.post(t, "/events/consumer/user", ev)
		again := s.post(t, "/events/consumer/user", ev)
		if again.status != http.StatusCreated || !bytes.Equal(first.body, again.body) || first.header.Get("Location") != again.header.Get("Location") {
			t.Fatalf("replay: %d %s (first %s)", again.status, again.body, first.body)
		}
		assertError(t, s.post(t, "/events/consumer/user?lockKycRiskLevel=true", ev), http.StatusConflict)
		assertError(t, s.post(t, "/events/consumer/user", strings.Replace(ev, `"1"`, `"2"`, 1)), http.StatusConflict)
		if tags := s.get(t, "/consumer/users/u1").object(t)["tags"].([]any); len(tags) != 1 || tags[0].(schema.Object)["value"] != "1" {
			t.Fatalf("tags = %v, want the first event applied once", tags)
		}
		// A generated eventId: every request is new, each with its own Location.
		r1 := s.post(t, "/events/consumer/user", `{"userId":"u1","timestamp":1700000002000}`)
		r2 := s.post(t, "/events/consumer/user", `{"userId":"u1","timestamp":1700000002000}`)
		if r1.status != 201 || r2.status != 201 || r1.header.Get("Location") == r2.header.Get("Location") {
			t.Fatalf("generated ids: %d %q, %d %q", r1.status, r1.header.Get("Location"), r2.status, r2.header.Get("Location"))
		}
		if r := s.get(t, r1.header.Get("Location")); r.status != http.StatusOK {
			t.Fatalf("GET of a generated Location: %d %s", r.status, r.body)
		}
	})
}

// TestBadInputWritesNothing sends every kind of bad request and checks the error and that the
// user it names was never created.
func TestBadInputWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		big := `{"userId":"big","createdTimestamp":1700000000000,"occupation":"` + strings.Repeat("x", 3<<20) + `"}`
		tests := []struct {
			name, path, body string
			header           map[string]string
			status           int
			wantValidation   string // substring of validationErrors
		}{
			{"malformed JSON", "/consumer/users", `{"userId":"bad",`, nil, 400, "malformed JSON"},
			{"not an object", "/consumer/users", `["bad"]`, nil, 400, "JSON object"},
			{"duplicate key", "/consumer/users", `{"userId":"bad","userId":"bad2","createdTimestamp":1700000000000}`, nil, 400, "duplicate"},
			{"invalid UTF-8", "/consumer/users", "{\"userId\":\"bad\",\"createdTimestamp\":1700000000000,\"occupation\":\"\xff\"}", nil, 400, "malformed JSON"},
			{"wrong type", "/consumer/users", `{"userId":"bad","createdTimestamp":"yesterday"}`, nil, 400, "createdTimestamp: must be a number"},
			{"timestamp too early", "/consumer/users", `{"userId":"bad","createdTimestamp":315529199999}`, nil, 400, "createdTimestamp: 315529199999 is below the minimum 315529200000"},
			{"timestamp too late", "/consumer/users", `{"userId":"bad","createdTimestamp":4133890801001}`, nil, 400, "createdTimestamp: 4133890801001 is above the maximum"},
			{"bad enum", "/consumer/users", `{"userId":"bad","createdTimestamp":1700000000000,"userDetails":{"countryOfResidence":"XX"}}`, nil, 400, "userDetails.countryOfResidence"},
			{"missing required", "/consumer/users", `{"userId":"bad"}`, nil, 400, "createdTimestamp: is required"},
			{"null required", "/consumer/users", `{"userId":"bad","createdTimestamp":null}`, nil, 400, "createdTimestamp: is required"},
			{"control character in userId", "/consumer/users", `{"userId":"bad\u0007","createdTimestamp":1700000000000}`, nil, 400, "userId: must not contain control characters"},
			{"userId too long", "/consumer/users", `{"userId":"` + strings.Repeat("b", 257) + `","createdTimestamp":1700000000000}`, nil, 400, "userId: must be at most 256"},
			{"payment item without method", "/consumer/users", `{"userId":"bad","createdTimestamp":1700000000000,"savedPaymentDetails":[{"cardLast4Digits":"1234"}]}`, nil, 400, "savedPaymentDetails[0].method: is required"},
			{"bad flag", "/consumer/users?validateUserId=yes", `{"userId":"bad","createdTimestamp":1700000000000}`, nil, 400, "validateUserId"},
			{"flag twice, different values", "/consumer/users?lockKycRiskLevel=true&lockKycRiskLevel=false", `{"userId":"bad","createdTimestamp":1700000000000}`, nil, 400, "lockKycRiskLevel: is given twice"},
			{"3 MiB body", "/consumer/users", big, nil, 413, ""},
			{"missing API key", "/consumer/users", `{"userId":"bad","createdTimestamp":1700000000000}`, map[string]string{"x-api-key": ""}, 401, ""},
			{"unknown API key", "/consumer/users", `{"userId":"bad","createdTimestamp":1700000000000}`, map[string]string{"x-api-key": "vgl_unknown"}, 401, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := s.do(t, http.MethodPost, tt.path, strings.NewReader(tt.body), tt.header)
				obj := assertError(t, r, tt.status)
				if tt.wantValidation != "" {
					ve, _ := obj["validationErrors"].(string)
					if !strings.Contains(ve, tt.wantValidation) {
						t.Fatalf("validationErrors = %q, want it to contain %q", ve, tt.wantValidation)
					}
					if first := strings.SplitN(ve, "\n", 2)[0]; obj["message"] != first {
						t.Fatalf("message = %q, want the first problem %q", obj["message"], first)
					}
				}
				for _, id := range []string{"bad", "big", "bad2"} {
					assertError(t, s.get(t, "/consumer/users/"+id), http.StatusNotFound)
				}
			})
		}
	})
}

// chunkedReader hides the length of a body so it is sent chunked.
type chunkedReader struct{ r io.Reader }

func (c chunkedReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestChunkedBodyOverTheLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		body := `{"userId":"big","createdTimestamp":1700000000000,"occupation":"` + strings.Repeat("x", 2<<20) + `"}`
		r := s.do(t, http.MethodPost, "/consumer/users", chunkedReader{strings.NewReader(body)}, nil)
		assertError(t, r, http.StatusRequestEntityTooLarge)
		assertError(t, s.get(t, "/consumer/users/big"), http.StatusNotFound)
	})
}

func TestRouterErrorsAreJSON(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		tests := []struct {
			method, path string
			status       int
		}{
			{"GET", "/nowhere", 404},
			{"DELETE", "/consumer/users", 405},
			{"PUT", "/consumer/users/u1", 405},
			{"POST", "/healthz", 405},
			{"GET", "/consumer/users/nobody", 404},
			{"GET", "/events/consumer/user/nothing", 404},
		}
		for _, tt := range tests {
			t.Run(tt.method+" "+tt.path, func(t *testing.T) {
				assertError(t, s.do(t, tt.method, tt.path, nil, nil), tt.status)
			})
		}
	})
}

func TestPublicEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		for _, path := range []string{"/healthz", "/openapi.json"} {
			r := s.do(t, http.MethodGet, path, nil, map[string]string{"x-api-key": ""})
			if r.status != http.StatusOK || !json.Valid(r.body) {
				t.Fatalf("GET %s: %d", path, r.status)
			}
		}
		var doc struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(s.get(t, "/openapi.json").body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
			t.Fatalf("openapi.json: %v %q", err, doc.OpenAPI)
		}
		for _, p := range []string{"/consumer/users", "/consumer/users/{userId}", "/events/consumer/user", "/events/consumer/user/{eventId}"} {
			if _, ok := doc.Paths[p]; !ok {
				t.Errorf("openapi.json lacks %s", p)
			}
		}
	})
}

func TestUnknownFieldsAndNulls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		r := s.post(t, "/consumer/users?_krsOnly=true", `{"userId":"u1","createdTimestamp":1700000000000,"futureField":{"x":[1,2]},"occupation":null,"hitRules":[{"bogus":true}],"status":"BLOCK"}`)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		got := s.get(t, "/consumer/users/u1").object(t)
		if _, ok := got["occupation"]; ok {
			t.Errorf("null occupation was stored: %v", got)
		}
		if got["status"] != "ALLOW" || len(got["hitRules"].([]any)) != 0 {
			t.Errorf("server-owned fields were taken from input: %v", got)
		}
		if f, ok := got["futureField"].(schema.Object); !ok || len(f["x"].([]any)) != 2 {
			t.Errorf("unknown field lost: %v", got)
		}
		// In a patch, null removes; server-owned fields are refused.
		s.post(t, "/events/consumer/user", `{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"futureField":null,"occupation":"pilot"}}`)
		got = s.get(t, "/consumer/users/u1").object(t)
		if _, ok := got["futureField"]; ok || got["occupation"] != "pilot" {
			t.Errorf("after null patch: %v", got)
		}
		obj := assertError(t, s.post(t, "/events/consumer/user", `{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"userId":"u2","riskScoreDetails":{}}}`), 400)
		if ve := obj["validationErrors"].(string); !strings.Contains(ve, "updatedConsumerUserAttributes.riskScoreDetails") || !strings.Contains(ve, "updatedConsumerUserAttributes.userId") {
			t.Errorf("validationErrors = %q", ve)
		}
	})
}

// TestFixtureRoundTrip posts the SDK's maximal consumer and business profiles and reads every
// field back.
func TestFixtureRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		tests := []struct{ fixture, create, get string }{
			{"examples/retrieve-a-consumer-user-example-1.response-body.json", "/consumer/users", "/consumer/users/"},
			{"examples/retrieve-a-business-user-example-2.response-body.json", "/business/users", "/business/users/"},
		}
		for _, tt := range tests {
			t.Run(tt.create, func(t *testing.T) {
				s := newServer(t, b) // both fixtures use the same userId
				data, err := os.ReadFile(filepath.Join(flagrightFixtures, tt.fixture))
				if err != nil {
					t.Fatal(err)
				}
				body, err := schema.DecodeObject(data)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range []string{"executedRules", "hitRules", "riskScoreDetails"} {
					delete(body, f)
				}
				body["activatedTimestamp"] = json.Number("1700000000000")
				sent, _ := schema.Encode(body)
				if r := s.post(t, tt.create, string(sent)); r.status != http.StatusCreated {
					t.Fatalf("create: %d %s", r.status, r.body)
				}
				got := s.get(t, tt.get+body["userId"].(string)).object(t)
				for k, want := range body {
					if schema.Fingerprint(got[k]) != schema.Fingerprint(want) {
						g, _ := schema.Encode(got[k])
						w, _ := schema.Encode(want)
						t.Errorf("field %s: got %s, want %s", k, g, w)
					}
				}
			})
		}
	})
}

// TestSDKRequestFixtures sends the Go SDK's own create requests (placeholder timestamps made
// valid) and checks that they are accepted.
func TestSDKRequestFixtures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		for _, name := range []string{"create-a-consumer-user-example-1", "create-a-business-user-example-1"} {
			t.Run(name, func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join(flagrightFixtures, "sdk-requests", name+".request.json"))
				if err != nil {
					t.Fatal(err)
				}
				var req struct {
					Path string        `json:"path"`
					Body schema.Object `json:"body"`
				}
				if err := json.Unmarshal(data, &req); err != nil {
					t.Fatal(err)
				}
				for _, f := range []string{"createdTimestamp", "activatedTimestamp"} {
					if _, ok := req.Body[f]; ok {
						req.Body[f] = 1700000000000
					}
				}
				sent, _ := schema.Encode(req.Body)
				if r := s.post(t, req.Path, string(sent)); r.status != http.StatusCreated {
					t.Fatalf("POST %s: %d %s", req.Path, r.status, r.body)
				}
			})
		}
	})
}

// flagrightFixtures holds Flagright's example users and the requests its SDKs send, kept in the
// repository (see testdata/flagright/README.md) so that these tests run in any clone.
const flagrightFixtures = "../../testdata/flagright"

func TestRiskEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		s.post(t, "/consumer/users?lockKycRiskLevel=true", `{"userId":"u1","createdTimestamp":1700000000000,"kycRiskLevel":"MEDIUM"}`)
		r := s.get(t, "/consumer/users/u1/risk")
		if r.status != http.StatusOK {
			t.Fatalf("GET risk: %d %s", r.status, r.body)
		}
		e := r.object(t)
		if kyc := e["kyc"].(schema.Object); kyc["level"] != "MEDIUM" || kyc["locked"] != true || kyc["source"] != "OVERRIDE" {
			t.Fatalf("kyc = %v", kyc)
		}
		assertError(t, s.get(t, "/business/users/u1/risk"), http.StatusNotFound)
		assertError(t, s.get(t, "/consumer/users/nobody/risk"), http.StatusNotFound)

		model := s.get(t, "/risk/model")
		if model.status != http.StatusOK || !strings.Contains(string(model.body), `"fatfCallForAction"`) {
			t.Fatalf("GET /risk/model: %d", model.status)
		}
		yaml := "name: tiny\nbands: [{level: VERY_LOW, min: 0}, {level: LOW, min: 20}, {level: MEDIUM, min: 40}, {level: HIGH, min: 60}, {level: VERY_HIGH, min: 80}]\n" +
			"countryLists: {}\nactivity: {points: {FLAG: 10}, halfLifeDays: 30}\n" +
			"consumerFactors: [{id: s, name: Sanctions, type: boolean, weight: 1, paths: [sanctionsStatus], scores: {'true': 100}, default: 0, missing: 95}]\n" +
			"businessFactors: [{id: s, name: Sanctions, type: boolean, weight: 1, paths: [sanctionsStatus], scores: {'true': 100}, default: 0, missing: 95}]\n"
		if r := s.do(t, http.MethodPut, "/risk/model", strings.NewReader(yaml), nil); r.status != http.StatusOK || !strings.Contains(string(r.body), `"name":"tiny"`) {
			t.Fatalf("PUT /risk/model: %d %s", r.status, r.body)
		}
		created := s.post(t, "/consumer/users", `{"userId":"u2","createdTimestamp":1700000000000}`).object(t)
		if rd := created["riskScoreDetails"].(schema.Object); rd["kycRiskLevel"] != "VERY_HIGH" {
			t.Fatalf("the loaded model was not used: %v", rd)
		}
		bad := assertError(t, s.do(t, http.MethodPut, "/risk/model", strings.NewReader(strings.Replace(yaml, "weight: 1", "weight: 0", 1)), nil), http.StatusBadRequest)
		if !strings.Contains(bad["validationErrors"].(string), "consumerFactors[0].weight: must be above 0") {
			t.Fatalf("validationErrors = %v", bad["validationErrors"])
		}
		assertError(t, s.do(t, http.MethodPut, "/risk/model", strings.NewReader(yaml), map[string]string{"x-api-key": "vgl_wrong"}), http.StatusUnauthorized)
	})
}

func TestRulesEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		list := s.get(t, "/rules").object(t)
		if n := len(list["rules"].([]any)); n != 15 {
			t.Fatalf("GET /rules: %d rules, want the library's 15", n)
		}
		if r := s.get(t, "/rules/R-U1.1"); r.status != http.StatusOK || r.object(t)["ruleName"] != "Sanctioned user" {
			t.Fatalf("GET /rules/R-U1.1: %d %s", r.status, r.body)
		}
		bad := assertError(t, s.do(t, http.MethodPut, "/rules/RC-1.1", strings.NewReader("ruleId: RC-1\nruleName: Broken\nruleDescription: Does not compile.\nruleAction: FLAG\nexpression: 'user.a +'\n"), nil), http.StatusBadRequest)
		if !strings.Contains(bad["message"].(string), "expression: line 1, column") {
			t.Fatalf("compile error = %v", bad["message"])
		}
		rule := `{"ruleId":"RC-1","ruleName":"Pilots","ruleDescription":"Occupation is pilot.","ruleAction":"FLAG","expression":"user.occupation == \"pilot\""}`
		put := s.do(t, http.MethodPut, "/rules/RC-1.1", strings.NewReader(rule), nil)
		if put.status != http.StatusOK || put.object(t)["versionId"] == nil || put.object(t)["ruleInstanceId"] != "RC-1.1" {
			t.Fatalf("PUT /rules/RC-1.1: %d %s", put.status, put.body)
		}
		s.post(t, "/consumer/users", `{"userId":"u1","createdTimestamp":1700000000000,"occupation":"pilot"}`)
		rules := s.get(t, "/consumer/users/u1/rules").object(t)
		if hits := rules["hitRules"].([]any); len(hits) != 1 || hits[0].(schema.Object)["ruleInstanceId"] != "RC-1.1" {
			t.Fatalf("GET /consumer/users/u1/rules: %v", rules)
		}
		if r := s.do(t, http.MethodDelete, "/rules/RC-1.1", nil, nil); r.status != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
		assertError(t, s.get(t, "/rules/RC-1.1"), http.StatusNotFound)
		assertError(t, s.do(t, http.MethodDelete, "/rules/RC-1.1", nil, nil), http.StatusNotFound)
		if v := s.get(t, "/rules/RC-1.1/versions").object(t)["versions"].([]any); len(v) != 2 {
			t.Fatalf("versions after put and delete: %v", v)
		}
		assertError(t, s.do(t, http.MethodPost, "/rules", nil, nil), http.StatusMethodNotAllowed)
		assertError(t, s.do(t, http.MethodGet, "/rules", nil, map[string]string{"x-api-key": "vgl_nope"}), http.StatusUnauthorized)
	})
}

func TestMetricsAndObserver(t *testing.T) {
	store := storetest.Backends(t)[0].Open(t)
	svc, err := vigil.NewService(store, vigil.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	handler := httpapi.New(svc, httpapi.Options{
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("# metrics")) }),
		Observe: func(route string, status int, d time.Duration) {
			routes = append(routes, fmt.Sprint(route, " ", status))
		},
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "# metrics" {
		t.Fatalf("/metrics: %d %s", res.StatusCode, body)
	}
	http.Get(srv.URL + "/consumer/users/some%20id")
	if len(routes) != 2 || routes[1] != "GET /consumer/users/{userId} 401" {
		t.Fatalf("observed %q; want route patterns, not raw paths", routes)
	}
}

func TestBatchEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		r := s.post(t, "/batch/consumer/users?lockKycRiskLevel=true", `{"batchId":"b1","data":[{"userId":"a","createdTimestamp":1700000000000,"kycRiskLevel":"LOW"},{"userId":"b","createdTimestamp":1700000000000}]}`)
		if r.status != http.StatusCreated || r.object(t)["status"] != "SUCCESS" {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		if risk := s.get(t, "/consumer/users/a/risk").object(t)["kyc"].(schema.Object); risk["locked"] != true {
			t.Fatalf("the lock flag did not apply to the records: %v", risk)
		}
		tests := []struct {
			query  string
			status int
			count  int
		}{
			{"", 200, 2},
			{"?page=1.1&pageSize=1.9", 200, 1},
			{"?page=2&pageSize=1", 200, 1},
			{"?page=3&pageSize=1", 200, 0},
			{"?page=0", 400, 0},
			{"?pageSize=1001", 400, 0},
			{"?pageSize=0", 400, 0},
			{"?page=abc", 400, 0},
			{"?page=NaN", 400, 0},
		}
		for _, tt := range tests {
			r := s.get(t, "/batch/consumer/users/b1"+tt.query)
			if tt.status != 200 {
				assertError(t, r, tt.status)
				continue
			}
			page := r.object(t)
			if r.status != 200 || len(page["consumerUsers"].([]any)) != tt.count || page["totalCount"] != json.Number("2") {
				t.Fatalf("GET %s: %d %s", tt.query, r.status, r.body)
			}
		}
		assertError(t, s.get(t, "/batch/consumer/users/nope"), http.StatusNotFound)
		assertError(t, s.get(t, "/batch/business/users/b1"), http.StatusNotFound) // batch ids are per kind
		if r := s.post(t, "/batch/events/consumer/user", `{"data":[{"userId":"a","timestamp":1700000001000}]}`); r.status != 201 || r.object(t)["status"] != "SUCCESS" {
			t.Fatalf("event batch: %d %s", r.status, r.body)
		}
		assertError(t, s.post(t, "/batch/consumer/users?validateUserId=maybe&lockCraRiskLevel=yes", `{"data":[]}`), http.StatusBadRequest)
		assertError(t, s.post(t, "/batch/consumer/users", `{"data":"x"}`), http.StatusBadRequest)
	})
}

func TestBatchBodyLimit(t *testing.T) {
	store := storetest.Backends(t)[0].Open(t)
	svc, err := vigil.NewService(store, vigil.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{MaxBody: 100, MaxBatchBody: 1000}))
	defer srv.Close()
	s := &testServer{Server: srv, key: key}
	small := `{"data":[{"userId":"a","createdTimestamp":1700000000000,"occupation":"` + strings.Repeat("x", 200) + `"}]}`
	if r := s.post(t, "/batch/consumer/users", small); r.status != http.StatusCreated {
		t.Fatalf("a batch over the single limit but under the batch limit: %d %s", r.status, r.body)
	}
	assertError(t, s.post(t, "/batch/consumer/users", `{"data":[{"occupation":"`+strings.Repeat("x", 1000)+`"}]}`), http.StatusRequestEntityTooLarge)
	assertError(t, s.post(t, "/consumer/users", small), http.StatusRequestEntityTooLarge)
}

func TestWebhookEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		r := s.post(t, "/webhooks", `{"url":"https://hooks.example.com/v","events":["USER_STATE_UPDATED"],"origin":"system"}`)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		created := r.object(t)
		id, secret := created["id"].(string), created["secret"].(string)
		if !strings.HasPrefix(secret, "whsec_") || created["origin"] != "SYSTEM" {
			t.Fatalf("created = %v", created)
		}
		for _, path := range []string{"/webhooks", "/webhooks/" + id} {
			if got := s.get(t, path); got.status != 200 || strings.Contains(string(got.body), secret) {
				t.Fatalf("GET %s: %d %s (secrets must not be shown again)", path, got.status, got.body)
			}
		}
		rotated := s.post(t, "/webhooks/"+id+"/rotate", ``).object(t)
		if rotated["secret"] == secret || rotated["secret"] == nil {
			t.Fatalf("rotate = %v", rotated)
		}
		// An API change to the state does not reach a system-origin endpoint; nothing is queued.
		s.post(t, "/consumer/users", user)
		s.post(t, "/events/consumer/user", `{"userId":"u1","timestamp":1700000001000,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"}}}`)
		if d := s.get(t, "/webhooks/"+id+"/deliveries").object(t)["deliveries"].([]any); len(d) != 0 {
			t.Fatalf("deliveries = %v", d)
		}
		for _, tt := range []struct {
			method, path, body string
			status             int
		}{
			{"POST", "/webhooks", `{"url":"ftp://x"}`, 400},
			{"POST", "/webhooks", `{"url":"https://x","events":["NOPE"]}`, 400},
			{"POST", "/webhooks", `{"url":"https://x","origin":"mine"}`, 400},
			{"POST", "/webhooks", `{"url":"https://x","unknown":1}`, 400},
			{"GET", "/webhooks/nope", "", 404},
			{"GET", "/webhooks/" + id + "/deliveries?status=LOST", "", 400},
			{"GET", "/webhook-deliveries/nope", "", 404},
			{"POST", "/webhook-deliveries/nope/retry", "", 404},
		} {
			assertError(t, s.do(t, tt.method, tt.path, strings.NewReader(tt.body), nil), tt.status)
		}
		if r := s.do(t, http.MethodDelete, "/webhooks/"+id, nil, nil); r.status != http.StatusNoContent {
			t.Fatalf("delete: %d", r.status)
		}
		assertError(t, s.get(t, "/webhooks/"+id), http.StatusNotFound)
	})
}
