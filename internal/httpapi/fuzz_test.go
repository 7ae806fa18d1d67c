package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
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
	ctx := context.Background()
	svc, err := vigil.NewService(storetest.Backends(f)[0].Open(f), vigil.Options{})
	if err != nil {
		f.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, "acme")
	if err != nil {
		f.Fatal(err)
	}
	h := httpapi.New(svc, httpapi.Options{})
	send := func(path string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("x-api-key", key)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for path, body := range map[string]string{
		"/consumer/users": `{"userId":"seed-c","createdTimestamp":1700000000000}`,
		"/business/users": `{"userId":"seed-b","createdTimestamp":1700000000000,"legalEntity":{"companyGeneralDetails":{"legalName":"Acme"}}}`,
	} {
		if rec := send(path, []byte(body)); rec.Code != http.StatusCreated {
			f.Fatalf("seed user: %d %s", rec.Code, rec.Body)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		rec := send(path, body)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			obj, err := schema.DecodeObject(rec.Body.Bytes())
			if msg, _ := obj["message"].(string); err != nil || msg == "" {
				t.Fatalf("POST %s %q: %d with a body not in Flagright's error shape: %s", path, body, rec.Code, rec.Body)
			}
		}
	})
}
