package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// fuzzRoutes are the endpoints that take a body; the fuzzer picks one by index.
var fuzzRoutes = []string{
	"/consumer/users",
	"/business/users",
	"/events/consumer/user",
	"/events/business/user",
	"/batch/consumer/users",
	"/batch/business/users",
	"/batch/events/consumer/user",
	"/batch/events/business/user",
	"/consumer/users?lockCraRiskLevel=true&validateUserId=false",
	"/events/consumer/user?lockKycRiskLevel=true",
}

// fuzzSeeds are valid and nearly valid bodies, one list per route above; the fuzzer mutates
// them.
var fuzzSeeds = [][]string{
	{`{"userId":"f1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada"},"countryOfResidence":"DE","dateOfBirth":"1990-01-01"},"userStateDetails":{"state":"ACTIVE"},"kycStatusDetails":{"status":"SUCCESSFUL"},"tags":[{"key":"k","value":"v"}]}`},
	{`{"userId":"b1","createdTimestamp":1700000000000,"legalEntity":{"companyGeneralDetails":{"legalName":"Acme"},"companyRegistrationDetails":{"registrationIdentifier":"1","registrationCountry":"DE"}}}`},
	{`{"userId":"seed-c","timestamp":1700000001000,"eventId":"e1","updatedConsumerUserAttributes":{"userStateDetails":{"state":"SUSPENDED"},"kycStatusDetails":{"status":"FAILED"}}}`,
		`{"userId":"seed-c","timestamp":1700000000500,"updatedConsumerUserAttributes":{"userDetails":{"countryOfResidence":"IR"}}}`},
	{`{"userId":"seed-b","timestamp":1700000001000,"updatedBusinessUserAttributes":{"legalEntity":{"companyGeneralDetails":{"legalName":"Acme 2"}}}}`},
	{`{"batchId":"fb1","data":[{"userId":"f2","createdTimestamp":1700000000000},{"userId":"f2","createdTimestamp":1700000000000}]}`},
	{`{"batchId":"fb2","data":[{"userId":"b2","createdTimestamp":1700000000000}]}`},
	{`{"batchId":"fb3","data":[{"userId":"seed-c","timestamp":1700000002000,"updatedConsumerUserAttributes":{"tags":[{"key":"a","value":"b"}]}}]}`},
	{`{"batchId":"fb4","data":[{"userId":"seed-b","timestamp":1700000002000,"updatedBusinessUserAttributes":{}}]}`},
	{`{"userId":"f3","createdTimestamp":1700000000000,"riskLevel":"HIGH"}`},
	{`{"userId":"seed-c","timestamp":1700000003000,"updatedConsumerUserAttributes":{"kycRiskLevel":"LOW"}}`},
}

// FuzzWrites sends arbitrary bodies to every write endpoint of one server (real service, real
// SQLite) and checks what any client may rely on: never a 5xx, and every error in Flagright's
// shape, a JSON object with a message.
func FuzzWrites(f *testing.F) {
	for route, seeds := range fuzzSeeds {
		for _, s := range seeds {
			f.Add(uint8(route), []byte(s))
		}
	}
	api := fuzzServer(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		rec, _ := api.send(http.MethodPost, path, body)
		checkAnswer(t, "POST "+path, body, rec)
	})
}

// fuzzAPI is one server's handler and its API key.
type fuzzAPI struct {
	h   http.Handler
	key string
}

// send serves one request with the key; ok is false for a path no client can send.
func (a fuzzAPI) send(method, path string, body []byte) (rec *httptest.ResponseRecorder, ok bool) {
	target, err := url.Parse(path)
	if err != nil {
		return nil, false
	}
	req := httptest.NewRequest(method, "/", bytes.NewReader(body))
	req.URL, req.RequestURI = target, path
	req.Header.Set("x-api-key", a.key)
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec, true
}

// fuzzServer is one real server (service and SQLite) with an API key and a consumer and a
// business user to aim events at.
func fuzzServer(f *testing.F) fuzzAPI {
	ctx := context.Background()
	svc, err := vigil.NewService(storetest.Backends(f)[0].Open(f), vigil.Options{})
	if err != nil {
		f.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, "acme")
	if err != nil {
		f.Fatal(err)
	}
	api := fuzzAPI{h: httpapi.New(svc, httpapi.Options{}), key: key}
	for path, body := range map[string]string{
		"/consumer/users": `{"userId":"seed-c","createdTimestamp":1700000000000}`,
		"/business/users": `{"userId":"seed-b","createdTimestamp":1700000000000,"legalEntity":{"companyGeneralDetails":{"legalName":"Acme"}}}`,
	} {
		if rec, _ := api.send(http.MethodPost, path, []byte(body)); rec.Code != http.StatusCreated {
			f.Fatalf("seed user: %d %s", rec.Code, rec.Body)
		}
	}
	return api
}

// checkAnswer fails on a 5xx and on an error outside Flagright's shape.
func checkAnswer(t *testing.T, request string, body []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s %q: %d %s", request, body, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		obj, err := schema.DecodeObject(rec.Body.Bytes())
		if msg, _ := obj["message"].(string); err != nil || msg == "" {
			t.Fatalf("%s %q: %d with a body not in Flagright's error shape: %s", request, body, rec.Code, rec.Body)
		}
	}
}

// fuzzOther are the other routes: method and path, where {id} takes the fuzzer's id (escaped).
var fuzzOther = []struct{ method, path string }{
	{"GET", "/consumer/users/{id}"},
	{"GET", "/business/users/{id}/risk"},
	{"GET", "/consumer/users/{id}/rules"},
	{"GET", "/events/consumer/user/{id}"},
	{"GET", "/batch/consumer/users/{id}?page=2&pageSize=5"},
	{"GET", "/batch/events/business/user/{id}?pageSize={id}"},
	{"PUT", "/rules/{id}"},
	{"GET", "/rules/{id}/versions"},
	{"DELETE", "/rules/{id}"},
	{"PUT", "/risk/model"},
	{"POST", "/webhooks"},
	{"GET", "/webhooks/{id}/deliveries?status={id}"},
	{"POST", "/webhooks/{id}/rotate"},
	{"DELETE", "/webhooks/{id}"},
	{"POST", "/webhook-deliveries/{id}/retry"},
	{"PATCH", "/consumer/users/{id}"},
}

// FuzzOtherEndpoints sends arbitrary ids, query values and bodies to the read, rule, risk-model
// and webhook endpoints of one real server, with the same checks as FuzzWrites. It makes no
// network call: nothing delivers the webhooks it creates.
func FuzzOtherEndpoints(f *testing.F) {
	seeds := []struct {
		route    uint8
		id, body string
	}{
		{0, "seed-c", ""},
		{1, "seed-b", ""},
		{4, "fb1", ""},
		{5, "-1", ""},
		{6, "RC-1.1", "ruleId: RC-1\nruleInstanceId: RC-1.1\nruleName: R\nruleDescription: D\nruleAction: FLAG\nnature: AML\nlabels: [UNEXPECTED_BEHAVIOR]\nexpression: changes(\"email\", 30) > 2 && user.userDetails?.countryOfResidence in params.c\nparameters:\n  c: [DE]\n"},
		{6, "RC-2.1", `{"ruleId":"RC-2","ruleInstanceId":"RC-2.1","ruleName":"R","ruleDescription":"D","ruleAction":"SUSPEND","nature":"AML","labels":["KYC_TRIGGER"],"expression":"len(1..100000000) > 0","triggersOnHit":{"userStateDetails":{"state":"SUSPENDED"}}}`},
		{8, "R-U1.1", ""},
		{10, "", `{"url":"https://example.com/hook","events":["USER_STATE_UPDATED"]}`},
		{11, "PENDING", ""},
		{14, "nope", ""},
		{15, "seed-c", "{}"},
	}
	for _, s := range seeds {
		f.Add(s.route, s.id, []byte(s.body))
	}
	api := fuzzServer(f)
	// The default risk model, as GET returns it, is a valid document to mutate.
	model, _ := api.send(http.MethodGet, "/risk/model", nil)
	f.Add(uint8(9), "", model.Body.Bytes())
	f.Fuzz(func(t *testing.T, route uint8, id string, body []byte) {
		r := fuzzOther[int(route)%len(fuzzOther)]
		path := strings.ReplaceAll(r.path, "{id}", url.PathEscape(id))
		rec, ok := api.send(r.method, path, body)
		if !ok {
			t.Skip() // not a request a client can send
		}
		checkAnswer(t, r.method+" "+path, body, rec)
	})
}
