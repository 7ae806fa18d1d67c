package vigil_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

func riskOf(t *testing.T, reply schema.Object) (kyc, cra string, kycScore, craScore float64) {
	t.Helper()
	rd, ok := reply["riskScoreDetails"].(schema.Object)
	if !ok {
		t.Fatalf("no riskScoreDetails in %v", reply)
	}
	num := func(v any) float64 { f, _ := v.(json.Number).Float64(); return f }
	return rd["kycRiskLevel"].(string), rd["craRiskLevel"].(string), num(rd["kycRiskScore"]), num(rd["craRiskScore"])
}

func (f *fixture) eventReply(t *testing.T, kind vigil.Kind, body string, flags vigil.Flags) schema.Object {
	t.Helper()
	r, err := f.eventAs(t, kind, body, flags)
	if err != nil {
		t.Fatalf("event %s: %v", body, err)
	}
	return obj(t, string(r.Body))
}

func TestRiskOnEveryWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		reply := f.create(t, `{"userId":"clean","createdTimestamp":1700000000000,"userDetails":{"countryOfResidence":"DE","countryOfNationality":"DE","dateOfBirth":"1990-01-01"},"kycStatusDetails":{"status":"SUCCESSFUL"},"userStateDetails":{"state":"ACTIVE"},"sanctionsStatus":false,"pepStatus":[{"isPepHit":false}]}`, vigil.Flags{})
		kyc, cra, ks, cs := riskOf(t, reply)
		if kyc != "VERY_LOW" && kyc != "LOW" || ks != cs || kyc != cra {
			t.Fatalf("clean user: %s %s %v %v", kyc, cra, ks, cs)
		}
		reply = f.create(t, `{"userId":"risky","createdTimestamp":1700000000000,"sanctionsStatus":true,"pepStatus":[{"isPepHit":true,"pepRank":"LEVEL_1"}],"userDetails":{"countryOfNationality":"IR"}}`, vigil.Flags{})
		if kyc, _, score, _ := riskOf(t, reply); (kyc != "HIGH" && kyc != "VERY_HIGH") || score <= ks {
			t.Fatalf("sanctioned PEP from Iran: %s %v (clean %v)", kyc, score, ks)
		}
		// The profile shows the current levels; an event that worsens the profile raises them,
		// and the event keeps the scores computed when it was applied.
		p := f.profile(t, "clean")
		if p["kycRiskLevel"] != kyc || p["riskLevel"] != cra {
			t.Fatalf("profile levels = %v, %v; want the current %s, %s", p["kycRiskLevel"], p["riskLevel"], kyc, cra)
		}
		after := f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "worse", "clean", 1700000001000, `{"sanctionsStatus":true}`), vigil.Flags{})
		worseKYC, _, worseScore, _ := riskOf(t, after)
		if worseScore <= ks || after["kycRiskLevel"] != worseKYC {
			t.Fatalf("after a sanctions hit: %v %s, profile %v", worseScore, worseKYC, after["kycRiskLevel"])
		}
		f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "better", "clean", 1700000002000, `{"sanctionsStatus":false}`), vigil.Flags{})
		stored, err := f.svc.Event(context.Background(), f.tenant, vigil.Consumer, "worse")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, s, _ := riskOf(t, obj(t, string(stored))); s != worseScore {
			t.Fatalf("GET of an event returns %v, want the score computed when it was applied (%v)", s, worseScore)
		}
	})
}

func TestOverridesAndLocksThroughTheWritePath(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		yes, no := true, false
		// A level set by hand lasts one write unless it is locked.
		reply := f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"kycRiskLevel":"HIGH"}`, vigil.Flags{})
		if kyc, _, s, _ := riskOf(t, reply); kyc != "HIGH" || s != 70 {
			t.Fatalf("override on create: %s %v", kyc, s)
		}
		if p := f.profile(t, "u1"); p["kycRiskLevel"] != "HIGH" {
			t.Fatalf("profile kycRiskLevel = %v", p["kycRiskLevel"])
		}
		reply = f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "e1", "u1", 1700000001000, `{"occupation":"pilot"}`), vigil.Flags{})
		if kyc, _, _, _ := riskOf(t, reply); kyc == "HIGH" {
			t.Fatalf("an unlocked override stuck: %v", reply["riskScoreDetails"])
		}
		// Level and lock together stick through events, updates and renames.
		reply = f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "e2", "u1", 1700000002000, `{"riskLevel":"VERY_HIGH","kycRiskLevel":"VERY_LOW"}`),
			vigil.Flags{LockCRARiskLevel: &yes, LockKYCRiskLevel: &yes})
		if kyc, cra, ks, cs := riskOf(t, reply); kyc != "VERY_LOW" || cra != "VERY_HIGH" || ks != 10 || cs != 90 {
			t.Fatalf("locked overrides: %s %s %v %v", kyc, cra, ks, cs)
		}
		f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "e3", "u1", 1700000003000, `{"sanctionsStatus":true}`), vigil.Flags{})
		f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"adverseMediaStatus":true}`, vigil.Flags{ValidateUserID: &no})
		rename := eventFor(vigil.Consumer, "e4", "u1", 1700000004000, "")
		reply = f.eventReply(t, vigil.Consumer, rename[:len(rename)-1]+`,"newUserId":"u2"}`, vigil.Flags{ChangeUserID: true})
		if kyc, cra, ks, cs := riskOf(t, reply); kyc != "VERY_LOW" || cra != "VERY_HIGH" || ks != 10 || cs != 90 {
			t.Fatalf("locks lost after an event, an update and a rename: %s %s %v %v", kyc, cra, ks, cs)
		}
		explained := obj(t, mustExplain(t, f, "u2"))
		computed := explained["computed"].(schema.Object)["kyc"].(schema.Object)
		if computed["level"] == "VERY_LOW" || explained["kyc"].(schema.Object)["locked"] != true {
			t.Fatalf("the explanation must show the computed score behind the lock: %v", explained)
		}
		// Releasing a lock recomputes at once; the other lock stays.
		reply = f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "e5", "u2", 1700000005000, ""), vigil.Flags{LockKYCRiskLevel: &no})
		if kyc, cra, _, _ := riskOf(t, reply); kyc == "VERY_LOW" || cra != "VERY_HIGH" {
			t.Fatalf("after releasing the KYC lock: %s %s", kyc, cra)
		}
	})
}

func mustExplain(t *testing.T, f *fixture, userID string) string {
	t.Helper()
	b, err := f.svc.ExplainRisk(context.Background(), f.tenant, vigil.Consumer, userID)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExplanation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"sanctionsStatus":true,"userDetails":{"countryOfResidence":"DE"}}`, vigil.Flags{})
		e := obj(t, mustExplain(t, f, "u1"))
		factors := e["factors"].([]any)
		if len(factors) != len(risk.Default().ConsumerFactors) {
			t.Fatalf("%d factors explained", len(factors))
		}
		byID := map[string]schema.Object{}
		for _, fr := range factors {
			o := fr.(schema.Object)
			byID[o["id"].(string)] = o
		}
		if r := byID["residence-country"]; r["value"] != "DE" || r["weight"] == nil || r["contribution"] == nil {
			t.Fatalf("residence factor: %v", r)
		}
		if r := byID["age"]; r["missing"] != true {
			t.Fatalf("a missing date of birth must be shown as missing: %v", r)
		}
		if floors := e["floors"].([]any); len(floors) == 0 || !strings.HasPrefix(floors[0].(string), "sanctions") {
			t.Fatalf("floors = %v", e["floors"])
		}
		if e["model"].(schema.Object)["name"] != "vigil-default" {
			t.Fatalf("model = %v", e["model"])
		}
		if _, err := f.svc.ExplainRisk(context.Background(), f.tenant, vigil.Business, "u1"); codeOf(err) != vigil.CodeNotFound {
			t.Fatalf("explanation on the other type's endpoint: %v", err)
		}
	})
}

func TestTenantRiskModels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ctx := context.Background()
		// Score a missing residence as 100 with a HIGH floor: every user without one is HIGH.
		strict := strings.Replace(string(risk.DefaultDocument()), "    default: 20\n    missing: 50\n    floors: [{factorScoreAtLeast: 100, level: HIGH}]", "    default: 20\n    missing: 100\n    floors: [{factorScoreAtLeast: 100, level: HIGH}]", 1)
		strict = strings.Replace(strict, "name: vigil-default", "name: strict", 1)
		if _, err := f.svc.PutRiskModel(ctx, f.tenant, []byte(strict)); err != nil {
			t.Fatal(err)
		}
		if kyc, _, _, _ := riskOf(t, f.create(t, `{"userId":"u1","createdTimestamp":1700000000000}`, vigil.Flags{})); kyc != "HIGH" && kyc != "VERY_HIGH" {
			t.Fatalf("the tenant's model was not used: %s", kyc)
		}
		model, err := f.svc.RiskModel(ctx, f.tenant)
		if err != nil || !strings.Contains(string(model), `"name":"strict"`) {
			t.Fatalf("RiskModel = %s, %v", model, err)
		}
		// Another tenant keeps the default.
		key, _ := f.svc.CreateKey(ctx, "other")
		other, _ := f.svc.Authenticate(ctx, key)
		reply, err := f.svc.CreateUser(ctx, other, vigil.Consumer, obj(t, `{"userId":"u1","createdTimestamp":1700000000000}`), vigil.Flags{})
		if err != nil {
			t.Fatal(err)
		}
		if kyc, _, _, _ := riskOf(t, obj(t, string(reply))); kyc == "HIGH" || kyc == "VERY_HIGH" {
			t.Fatalf("another tenant got the strict model: %s", kyc)
		}
		_, err = f.svc.PutRiskModel(ctx, f.tenant, []byte(strings.Replace(strict, "weight: 3", "weight: -1", 1)))
		if ve, ok := err.(*vigil.Error); !ok || ve.Code != vigil.CodeInvalid || !strings.Contains(ve.Message, "weight: must be above 0") {
			t.Fatalf("invalid model: %v", err)
		}
		if model2, _ := f.svc.RiskModel(ctx, f.tenant); string(model2) != string(model) {
			t.Fatal("a refused model replaced the stored one")
		}
		if err := f.svc.PutRiskModelByName(ctx, "nobody", []byte(strict)); codeOf(err) != vigil.CodeNotFound {
			t.Fatalf("model for an unknown tenant: %v", err)
		}
	})
}

func TestActivityCountsARuleWhenItStartsHitting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		reply := f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"sanctionsStatus":true}`, vigil.Flags{})
		_, _, _, first := riskOf(t, reply)
		for i := range 3 {
			reply = f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, fmt.Sprint("e", i), "u1", 1700000001000+int64(i), `{"occupation":"pilot"}`), vigil.Flags{})
		}
		if _, _, _, cra := riskOf(t, reply); cra != first {
			t.Fatalf("routine updates of a sanctioned user moved its CRA from %v to %v", first, cra)
		}
	})
}

// TestRowRiskStoredPacked: a user's row keeps its risk state in the packed binary form, a small
// fraction of its JSON, and a row an earlier build wrote with the JSON still explains and
// computes the same (a service that never cached the user reads it).
func TestRowRiskStoredPacked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"countryOfResidence":"DE"}}`, vigil.Flags{})
		rec, err := f.store.User(ctx, f.tenant.ID, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Risk) == 0 || rec.Risk[0] != 0x02 || len(rec.Risk) > 400 {
			t.Fatalf("the row's risk state is stored as %d bytes starting %q, want the packed form", len(rec.Risk), rec.Risk[:min(len(rec.Risk), 8)])
		}
		explained := mustExplain(t, f, "u1")
		st, err := risk.DecodeBinary(rec.Risk[1:])
		if err != nil {
			t.Fatal(err)
		}
		rec.Risk, rec.Evaluation = st.AppendJSON(nil), []byte{} // the risk as the builds before stored it
		if err := f.store.Update(ctx, func(tx vigil.Tx) error { return tx.UpdateUser(ctx, rec) }); err != nil {
			t.Fatal(err)
		}
		if got := mustExplain(t, f, "u1"); got != explained {
			t.Fatalf("explained from JSON:\n%s\nfrom the packed form:\n%s", got, explained)
		}
		var n atomic.Int64
		fresh, err := vigil.NewService(f.store, vigil.Options{Now: func() time.Time { return time.UnixMilli(fixedNow) },
			NewID: func() string { return fmt.Sprintf("fresh-%d", n.Add(1)) }})
		if err != nil {
			t.Fatal(err)
		}
		reply, err := fresh.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, eventFor(vigil.Consumer, "e1", "u1", 1700000001000, "")), vigil.Flags{})
		if err != nil || !strings.Contains(string(reply.Body), `"riskScoreDetails"`) {
			t.Fatalf("an event on a row with a JSON risk state: %s, %v", reply.Body, err)
		}
		if rec, err = f.store.User(ctx, f.tenant.ID, "u1"); err != nil || rec.Risk[0] != 0x02 {
			t.Fatalf("after the event the row's risk starts %q (%v), want the packed form", rec.Risk[:1], err)
		}
	})
}
