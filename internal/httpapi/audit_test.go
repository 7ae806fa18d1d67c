package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// auditPage is GET /audit's answer.
type auditPage struct {
	Records []struct {
		Seq                      int64
		Actor, RequestID, Action string
		Target, Digest, Hash     string
		PrevHash                 string
	}
	Next int64
}

// TestAuditEndpoint pages through a sealed chain, checks that a request's id reaches its record,
// and that bad paging parameters are 400s in Flagright's error shape.
func TestAuditEndpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		svc, err := vigil.NewService(b.Open(t), vigil.Options{})
		if err != nil {
			t.Fatal(err)
		}
		key, err := svc.CreateKey(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}))
		t.Cleanup(srv.Close)
		s := &testServer{Server: srv, key: key}

		if r := s.do(t, http.MethodPost, "/consumer/users", strings.NewReader(user), map[string]string{"X-Request-Id": "req-audit-1"}); r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		if _, err := svc.SealAudit(ctx); err != nil {
			t.Fatal(err)
		}
		var all auditPage
		r := s.get(t, "/audit")
		if err := json.Unmarshal(r.body, &all); r.status != http.StatusOK || err != nil || len(all.Records) < 3 {
			t.Fatalf("GET /audit: %d %s", r.status, r.body)
		}
		last := all.Records[len(all.Records)-1]
		if last.Action != "user.create" || !strings.HasPrefix(last.Actor, "key:") || last.RequestID != "req-audit-1" || len(last.Hash) != 64 ||
			last.PrevHash != all.Records[len(all.Records)-2].Hash || !strings.HasPrefix(last.Target, "user/") {
			t.Fatalf("the create's record = %+v", last)
		}
		var page auditPage
		r = s.get(t, "/audit?after=1&limit=2")
		if err := json.Unmarshal(r.body, &page); err != nil || len(page.Records) != 2 || page.Records[0].Seq != 2 || page.Next != 3 {
			t.Fatalf("GET /audit?after=1&limit=2: %d %s", r.status, r.body)
		}
		for _, bad := range []string{"after=-1", "after=x", "after=1.5", "limit=0", "limit=1001", "limit=ten"} {
			obj := assertError(t, s.get(t, "/audit?"+bad), http.StatusBadRequest)
			if _, ok := obj["validationErrors"].(string); !ok {
				t.Fatalf("GET /audit?%s: %v has no validationErrors", bad, obj)
			}
		}
		assertError(t, s.do(t, http.MethodGet, "/audit", nil, map[string]string{"x-api-key": "vgl_wrong"}), http.StatusUnauthorized)
	})
}

// TestRiskModelVersionsEndpoint checks that every risk model put is listed, oldest first.
func TestRiskModelVersionsEndpoint(t *testing.T) {
	s := newServer(t, storetest.Backends(t)[0])
	var versions struct {
		Versions []struct {
			VersionID string
			Model     json.RawMessage
		}
	}
	if r := s.get(t, "/risk/model/versions"); r.status != http.StatusOK || json.Unmarshal(r.body, &versions) != nil || len(versions.Versions) != 0 {
		t.Fatalf("versions of the default model: %d %s", r.status, r.body)
	}
	model := s.get(t, "/risk/model").body
	for range 2 {
		if r := s.do(t, http.MethodPut, "/risk/model", strings.NewReader(string(model)), nil); r.status != http.StatusOK {
			t.Fatalf("PUT /risk/model: %d %s", r.status, r.body)
		}
	}
	r := s.get(t, "/risk/model/versions")
	if json.Unmarshal(r.body, &versions) != nil || len(versions.Versions) != 2 || versions.Versions[0].VersionID == versions.Versions[1].VersionID ||
		!strings.Contains(string(versions.Versions[1].Model), `"fatfCallForAction"`) {
		t.Fatalf("versions after two puts: %d %s", r.status, r.body)
	}
}
