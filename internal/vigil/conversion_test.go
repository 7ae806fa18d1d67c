package vigil_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

func other(kind vigil.Kind) vigil.Kind {
	if kind == vigil.Consumer {
		return vigil.Business
	}
	return vigil.Consumer
}

// TestBothKindsShareTheWritePath runs the core behaviours for consumer and business users.
func TestBothKindsShareTheWritePath(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for _, kind := range kinds {
			t.Run(string(kind), func(t *testing.T) {
				f := newFixture(t, b)
				f.createAs(t, kind, minimalUser(kind, "u1"), vigil.Flags{})
				state := func(st string) string { return fmt.Sprintf(`{"userStateDetails":{"state":%q}}`, st) }
				for _, ev := range []string{
					eventFor(kind, "e1", "u1", 1700000002000, state("BLOCKED")),
					eventFor(kind, "e2", "u1", 1700000001000, state("ACTIVE")), // late
				} {
					if _, err := f.eventAs(t, kind, ev, vigil.Flags{}); err != nil {
						t.Fatal(err)
					}
				}
				if got := f.profileAs(t, kind, "u1")["userStateDetails"].(schema.Object)["state"]; got != "BLOCKED" {
					t.Fatalf("state = %v, want BLOCKED (late event folded in timestamp order)", got)
				}
				replay, err := f.eventAs(t, kind, eventFor(kind, "e1", "u1", 1700000002000, state("BLOCKED")), vigil.Flags{})
				if err != nil || !replay.Replayed {
					t.Fatalf("replay: %+v %v", replay, err)
				}
				if _, err := f.eventAs(t, kind, eventFor(kind, "e1", "u1", 1700000002000, state("ACTIVE")), vigil.Flags{}); codeOf(err) != vigil.CodeConflict {
					t.Fatalf("reused eventId: %v, want conflict", err)
				}
				if _, err := f.svc.Event(context.Background(), f.tenant, kind, "e2"); err != nil {
					t.Fatalf("GET event: %v", err)
				}
				if _, err := f.svc.Event(context.Background(), f.tenant, other(kind), "e2"); codeOf(err) != vigil.CodeNotFound {
					t.Fatalf("GET event on the other type's endpoint: %v, want not found", err)
				}
				if _, err := f.svc.User(context.Background(), f.tenant, other(kind), "u1"); codeOf(err) != vigil.CodeNotFound {
					t.Fatalf("GET on the other type's endpoint: %v, want not found", err)
				}
				if _, err := f.svc.CreateUser(context.Background(), f.tenant, other(kind), obj(t, minimalUser(other(kind), "u1")), vigil.Flags{}); codeOf(err) != vigil.CodeInvalid {
					t.Fatalf("create of the other type with a taken id: %v, want invalid", err)
				}
			})
		}
	})
}

func TestBusinessValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		tests := []struct {
			name, body, wantPath string
		}{
			{"legalName is required", `{"userId":"b1","createdTimestamp":1700000000000,"legalEntity":{"companyGeneralDetails":{}}}`, "legalEntity.companyGeneralDetails.legalName: is required"},
			{"legalEntity is required", `{"userId":"b1","createdTimestamp":1700000000000}`, "legalEntity: is required"},
			{"director both person and company", minimalUserWith(`"directors":[{"generalDetails":{"name":{"firstName":"A"}},"companyGeneralDetails":{"legalName":"X"}}]`), "directors[0]"},
			{"director neither", minimalUserWith(`"directors":[{"tags":[]}]`), "directors[0].companyGeneralDetails: is required"},
			{"bad shareholder country", minimalUserWith(`"shareHolders":[{"generalDetails":{"name":{"firstName":"A"},"countryOfNationality":"QQ"}}]`), "shareHolders[0].generalDetails.countryOfNationality"},
			{"associated party without role", minimalUserWith(`"associatedParties":[{"generalDetails":{"name":{"firstName":"A"}}}]`), "associatedParties[0].role: is required"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.CreateUser(context.Background(), f.tenant, vigil.Business, obj(t, tt.body), vigil.Flags{})
				ve, ok := err.(*vigil.Error)
				if !ok || ve.Code != vigil.CodeInvalid {
					t.Fatalf("err = %v, want invalid", err)
				}
				found := false
				for _, p := range ve.Problems {
					found = found || len(p) >= len(tt.wantPath) && p[:len(tt.wantPath)] == tt.wantPath
				}
				if !found {
					t.Fatalf("problems %q lack %q", ve.Problems, tt.wantPath)
				}
			})
		}
		ok := minimalUserWith(`"directors":[{"generalDetails":{"name":{"firstName":"A"}}},{"companyGeneralDetails":{"legalName":"Holding"}}],"associatedParties":[{"companyGeneralDetails":{"legalName":"P"},"role":"auditor"}]`)
		if _, err := f.svc.CreateUser(context.Background(), f.tenant, vigil.Business, obj(t, ok), vigil.Flags{}); err != nil {
			t.Fatalf("a person and a company director: %v", err)
		}
	})
}

func minimalUserWith(fields string) string {
	base := minimalUser(vigil.Business, "b1")
	return base[:len(base)-1] + "," + fields + "}"
}

func TestConversion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		allow := vigil.Flags{AllowUserTypeConversion: true}
		t.Run("business to consumer", func(t *testing.T) {
			f := newFixture(t, b)
			// Levels set by hand and locked must survive the conversion.
			yes := true
			f.createAs(t, vigil.Business, `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"ACTIVE"},"kycStatusDetails":{"status":"SUCCESSFUL"},"riskLevel":"HIGH","kycRiskLevel":"LOW","tags":[{"key":"k","value":"v"}],"sanctionsStatus":true,"futureField":1,"legalEntity":{"companyGeneralDetails":{"legalName":"Acme"}},"directors":[{"generalDetails":{"name":{"firstName":"D"}}}]}`,
				vigil.Flags{LockKYCRiskLevel: &yes, LockCRARiskLevel: &yes})
			if _, err := f.eventAs(t, vigil.Business, eventFor(vigil.Business, "b-ev", "u1", 1700000005000, `{"mccDetails":{"code":5411}}`), vigil.Flags{}); err != nil {
				t.Fatal(err)
			}
			consumerEvent := eventFor(vigil.Consumer, "c-ev", "u1", 1700000001000, `{"userDetails":{"name":{"firstName":"Ada"}}}`)
			if _, err := f.event(t, consumerEvent, vigil.Flags{}); codeOf(err) != vigil.CodeInvalid {
				t.Fatalf("without the flag: %v, want invalid", err)
			}
			if _, err := f.svc.User(context.Background(), f.tenant, vigil.Consumer, "u1"); codeOf(err) != vigil.CodeNotFound {
				t.Fatalf("refused conversion changed the type: %v", err)
			}
			if _, err := f.event(t, consumerEvent, allow); err != nil {
				t.Fatalf("with the flag: %v", err)
			}
			p := f.profile(t, "u1")
			for field, want := range map[string]string{
				"userStateDetails": `{"state":"ACTIVE"}`, "kycStatusDetails": `{"status":"SUCCESSFUL"}`, "riskLevel": `"HIGH"`,
				"kycRiskLevel": `"LOW"`, "tags": `[{"key":"k","value":"v"}]`, "sanctionsStatus": "true", "futureField": "1",
				"createdTimestamp": "1700000000000", "userId": `"u1"`, "userDetails": `{"name":{"firstName":"Ada"}}`,
			} {
				if got, _ := schema.Encode(p[field]); string(got) != want {
					t.Errorf("%s = %s, want %s", field, got, want)
				}
			}
			for _, gone := range []string{"legalEntity", "directors", "mccDetails"} {
				if _, ok := p[gone]; ok {
					t.Errorf("business-only field %s is still on the consumer profile", gone)
				}
			}
			if _, err := f.svc.User(context.Background(), f.tenant, vigil.Business, "u1"); codeOf(err) != vigil.CodeNotFound {
				t.Fatalf("GET business after conversion: %v, want not found", err)
			}
			if _, err := f.svc.Event(context.Background(), f.tenant, vigil.Business, "b-ev"); err != nil {
				t.Fatalf("the business event before the conversion is no longer readable: %v", err)
			}
			if r, err := f.event(t, consumerEvent, allow); err != nil || !r.Replayed {
				t.Fatalf("replay of the converting event: %+v %v", r, err)
			}
			// A late consumer event folds after the conversion, never into the business past.
			if _, err := f.event(t, eventFor(vigil.Consumer, "late", "u1", 1600000000000, `{"occupation":"pilot"}`), vigil.Flags{}); err != nil {
				t.Fatal(err)
			}
			if p := f.profile(t, "u1"); p["occupation"] != "pilot" || p["userDetails"] == nil {
				t.Fatalf("after a late event: %v", p)
			}
			// A business event now needs the flag too.
			if _, err := f.eventAs(t, vigil.Business, eventFor(vigil.Business, "", "u1", 1700000009000, ""), vigil.Flags{}); codeOf(err) != vigil.CodeInvalid {
				t.Fatalf("business event on the converted user: %v, want invalid", err)
			}
		})
		t.Run("consumer to business needs a legal entity", func(t *testing.T) {
			f := newFixture(t, b)
			f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userStateDetails":{"state":"ACTIVE"},"userDetails":{"name":{"firstName":"Ada"}}}`, vigil.Flags{})
			_, err := f.eventAs(t, vigil.Business, eventFor(vigil.Business, "b1", "u1", 1700000001000, `{"tags":[{"key":"a","value":"b"}]}`), allow)
			if ve, ok := err.(*vigil.Error); !ok || ve.Code != vigil.CodeInvalid || ve.Message != "updatedBusinessUserAttributes.legalEntity: is required" {
				t.Fatalf("conversion without legalEntity: %v", err)
			}
			if p := f.profile(t, "u1"); p["tags"] != nil {
				t.Fatalf("a refused conversion wrote: %v", p)
			}
			if _, err := f.eventAs(t, vigil.Business, eventFor(vigil.Business, "b1", "u1", 1700000001000, `{"legalEntity":{"companyGeneralDetails":{"legalName":"Ada Ltd"}}}`), allow); err != nil {
				t.Fatal(err)
			}
			p := f.profileAs(t, vigil.Business, "u1")
			if _, ok := p["userDetails"]; ok || p["userStateDetails"].(schema.Object)["state"] != "ACTIVE" {
				t.Fatalf("business profile after conversion: %v", p)
			}
			// And back again: the history holds both conversions and refolds to the same result.
			if _, err := f.event(t, eventFor(vigil.Consumer, "c2", "u1", 1700000002000, `{"occupation":"founder"}`), allow); err != nil {
				t.Fatal(err)
			}
			if _, err := f.event(t, eventFor(vigil.Consumer, "c3", "u1", 1700000000500, `{"userStateDetails":{"state":"SUSPENDED"}}`), vigil.Flags{}); err != nil {
				t.Fatal(err)
			}
			p = f.profile(t, "u1")
			if p["occupation"] != "founder" || p["legalEntity"] != nil || p["userStateDetails"].(schema.Object)["state"] != "SUSPENDED" {
				t.Fatalf("after converting back and a late event: %v", p)
			}
		})
	})
}

func TestRenameBothKinds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for _, kind := range kinds {
			t.Run(string(kind), func(t *testing.T) {
				f := newFixture(t, b)
				f.createAs(t, kind, minimalUser(kind, "old"), vigil.Flags{})
				f.createAs(t, other(kind), minimalUser(other(kind), "taken"), vigil.Flags{})
				rename := vigil.Flags{ChangeUserID: true}
				if _, err := f.eventAs(t, kind, eventFor(kind, "e0", "old", 1700000001000, ""), vigil.Flags{}); err != nil {
					t.Fatal(err)
				}
				withNew := func(id, newID string) string {
					e := eventFor(kind, id, "old", 1700000002000, "")
					return e[:len(e)-1] + fmt.Sprintf(`,"newUserId":%q}`, newID)
				}
				if _, err := f.eventAs(t, kind, withNew("e1", "taken"), rename); codeOf(err) != vigil.CodeConflict {
					t.Fatalf("rename to an id of another user (of the other type): %v, want conflict", err)
				}
				if _, err := f.eventAs(t, kind, eventFor(kind, "e2", "old", 1700000002000, ""), rename); codeOf(err) != vigil.CodeInvalid {
					t.Fatalf("rename flag without newUserId: %v, want invalid", err)
				}
				if _, err := f.eventAs(t, kind, withNew("e3", "ignored"), vigil.Flags{}); err != nil {
					t.Fatalf("newUserId without the flag: %v", err)
				}
				f.profileAs(t, kind, "old") // still there: newUserId was ignored
				if _, err := f.eventAs(t, kind, withNew("e4", "new"), rename); err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.User(context.Background(), f.tenant, kind, "old"); codeOf(err) != vigil.CodeNotFound {
					t.Fatalf("old id after rename: %v, want not found", err)
				}
				if p := f.profileAs(t, kind, "new"); p["userId"] != "new" {
					t.Fatalf("renamed profile: %v", p)
				}
				for _, id := range []string{"e0", "e3", "e4"} {
					if _, err := f.svc.Event(context.Background(), f.tenant, kind, id); err != nil {
						t.Fatalf("event %s after rename: %v", id, err)
					}
				}
				// Events keep working under the new id, late ones refold the renamed history.
				if _, err := f.eventAs(t, kind, eventFor(kind, "e5", "new", 1600000000000, `{"userStateDetails":{"state":"ACTIVE"}}`), vigil.Flags{}); err != nil {
					t.Fatal(err)
				}
				if p := f.profileAs(t, kind, "new"); p["userId"] != "new" {
					t.Fatalf("after a late event the refold restored the old id: %v", p)
				}
				// Rename and convert in one event.
				both := eventFor(other(kind), "e6", "new", 1700000003000, conversionPatch(other(kind)))
				both = both[:len(both)-1] + `,"newUserId":"newest"}`
				if _, err := f.eventAs(t, other(kind), both, vigil.Flags{ChangeUserID: true, AllowUserTypeConversion: true}); err != nil {
					t.Fatal(err)
				}
				if p := f.profileAs(t, other(kind), "newest"); p["userId"] != "newest" {
					t.Fatalf("renamed and converted: %v", p)
				}
			})
		}
	})
}

// conversionPatch is the least a converting event into kind must carry.
func conversionPatch(kind vigil.Kind) string {
	if kind == vigil.Business {
		return `{"legalEntity":{"companyGeneralDetails":{"legalName":"Acme"}}}`
	}
	return `{}`
}
