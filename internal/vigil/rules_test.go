package vigil_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

func hitIDs(reply schema.Object) []string {
	var ids []string
	for _, h := range reply["hitRules"].([]any) {
		ids = append(ids, h.(schema.Object)["ruleInstanceId"].(string))
	}
	return ids
}

func (f *fixture) putRule(t *testing.T, id, yaml string) {
	t.Helper()
	if _, err := f.svc.PutRule(context.Background(), f.tenant, id, []byte(yaml)); err != nil {
		t.Fatalf("put rule %s: %v", id, err)
	}
}

const cleanConsumer = `{"userId":"clean","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada"},
	"countryOfResidence":"DE","countryOfNationality":"DE","dateOfBirth":"1990-01-01"},"userStateDetails":{"state":"ACTIVE"},
	"kycStatusDetails":{"status":"SUCCESSFUL"},"pepStatus":[{"isPepHit":false}],"sanctionsStatus":false,"adverseMediaStatus":false,
	"employmentStatus":"EMPLOYED","sourceOfFunds":["Salary"],"legalDocuments":[{"documentType":"passport","documentNumber":"X1","documentExpirationDate":1900000000000}]}`

func TestDefaultLibraryOnANewTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		clean := f.create(t, cleanConsumer, vigil.Flags{})
		if ids := hitIDs(clean); len(ids) != 0 || clean["status"] != "ALLOW" {
			t.Fatalf("clean user hit %v", ids)
		}
		executed := clean["executedRules"].([]any)
		if len(executed) < 10 || executed[0].(schema.Object)["ruleInstanceId"] != "R-U1.1" ||
			executed[len(executed)-1].(schema.Object)["ruleInstanceId"] != "R-U15.1" {
			t.Fatalf("executed rules (natural order expected): %v", executed)
		}
		risky := f.create(t, `{"userId":"risky","createdTimestamp":1700000000000,"sanctionsStatus":true,"pepStatus":[{"isPepHit":true,"pepRank":"LEVEL_1"}]}`, vigil.Flags{})
		if ids := strings.Join(hitIDs(risky), ","); ids != "R-U1.1,R-U2.1" || risky["status"] != "BLOCK" {
			t.Fatalf("sanctioned PEP: hits %s, status %v", ids, risky["status"])
		}
		_, _, kyc, cra := riskOf(t, risky)
		if cra <= kyc {
			t.Fatalf("hits must raise the CRA above the KRS: KRS %v, CRA %v", kyc, cra)
		}
		hit := risky["executedRules"].([]any)[0].(schema.Object)
		if hit["ruleHit"] != true || hit["vars"] == nil || hit["versionId"] == "" || hit["executedRiskLevel"] != "VERY_HIGH" {
			t.Fatalf("executed result of a hit: %v", hit)
		}
	})
}

func TestTenantRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ctx := context.Background()
		_, err := f.svc.PutRule(ctx, f.tenant, "RC-1.1", []byte("ruleId: RC-1\nruleName: Pilots\nruleDescription: d\nruleAction: FLAG\nexpression: 'user.occupation =='\n"))
		if ve, ok := err.(*vigil.Error); !ok || ve.Code != vigil.CodeInvalid || !strings.Contains(ve.Message, "expression: line 1, column") {
			t.Fatalf("a rule that does not compile: %v", err)
		}
		_, err = f.svc.PutRule(ctx, f.tenant, "RC-1.1", []byte(`{"ruleId":"RC-1","ruleInstanceId":"other","ruleName":"x","ruleDescription":"d","ruleAction":"FLAG","expression":"true"}`))
		if codeOf(err) != vigil.CodeInvalid {
			t.Fatalf("instance id differing from the path: %v", err)
		}
		f.putRule(t, "RC-1.1", "ruleId: RC-1\nruleName: Pilots\nruleDescription: Occupation is pilot.\nruleAction: SUSPEND\nexpression: user.occupation == params.job\nparameters: {job: pilot}\n")
		reply := f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"occupation":"pilot"}`, vigil.Flags{})
		if !strings.Contains(strings.Join(hitIDs(reply), ","), "RC-1.1") || reply["status"] != "SUSPEND" {
			t.Fatalf("tenant rule did not hit: %v", reply["hitRules"])
		}
		first, _ := f.svc.GetRule(ctx, f.tenant, "RC-1.1")
		f.putRule(t, "RC-1.1", "ruleId: RC-1\nruleName: Pilots\nruleDescription: Occupation is pilot.\nruleAction: FLAG\nexpression: user.occupation == params.job\nparameters: {job: pilot}\nenabled: false\n")
		second, _ := f.svc.GetRule(ctx, f.tenant, "RC-1.1")
		if obj(t, string(first))["versionId"] == obj(t, string(second))["versionId"] {
			t.Fatal("a change must get a new versionId")
		}
		reply = f.create(t, `{"userId":"u2","createdTimestamp":1700000000000,"occupation":"pilot"}`, vigil.Flags{})
		if strings.Contains(strings.Join(hitIDs(reply), ","), "RC-1.1") {
			t.Fatal("a disabled rule ran")
		}
		if err := f.svc.DeleteRule(ctx, f.tenant, "RC-1.1"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteRule(ctx, f.tenant, "RC-1.1"); codeOf(err) != vigil.CodeNotFound {
			t.Fatalf("deleting twice: %v", err)
		}
		versions, err := f.svc.RuleVersions(ctx, f.tenant, "RC-1.1")
		if err != nil || len(obj(t, string(versions))["versions"].([]any)) != 3 {
			t.Fatalf("versions: %s %v", versions, err)
		}
		list, _ := f.svc.ListRules(ctx, f.tenant)
		if n := len(obj(t, string(list))["rules"].([]any)); n != 15 {
			t.Fatalf("%d rules listed, want the 15 of the library", n)
		}
	})
}

func TestShadowRulesStayOutOfResponses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.putRule(t, "RC-2.1", "ruleId: RC-2\nruleName: Everyone\nruleDescription: Always hits.\nruleAction: BLOCK\nexpression: 'true'\nisShadow: true\n")
		reply := f.create(t, cleanConsumer, vigil.Flags{})
		for _, e := range reply["executedRules"].([]any) {
			if e.(schema.Object)["ruleInstanceId"] == "RC-2.1" {
				t.Fatal("a shadow rule is in executedRules")
			}
		}
		_, _, kyc, cra := riskOf(t, reply)
		if reply["status"] != "ALLOW" || kyc != cra {
			t.Fatalf("a shadow hit changed status or risk: %v, KRS %v CRA %v", reply["status"], kyc, cra)
		}
		rules, err := f.svc.UserRules(context.Background(), f.tenant, vigil.Consumer, "clean")
		if err != nil {
			t.Fatal(err)
		}
		shadow := obj(t, string(rules))["shadowRules"].([]any)
		if len(shadow) != 1 || shadow[0].(schema.Object)["ruleHit"] != true || shadow[0].(schema.Object)["isShadow"] != true {
			t.Fatalf("shadow results = %v", shadow)
		}
	})
}

func TestTriggersOnHitAreASystemEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.putRule(t, "RC-3.1", `ruleId: RC-3
ruleName: Sanctions freeze
ruleDescription: Suspends sanctioned users for review.
ruleAction: SUSPEND
expression: user.sanctionsStatus == true
triggersOnHit:
  userStateDetails: {state: SUSPENDED, reason: Sanctions hit}
  kycStatusDetails: {status: MANUAL_REVIEW}
  tags: [{key: review, value: sanctions}]
`)
		f.create(t, cleanConsumer, vigil.Flags{})
		reply := f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "e1", "clean", 1700000002000, `{"sanctionsStatus":true}`), vigil.Flags{})
		state := reply["userStateDetails"].(schema.Object)
		if state["state"] != "SUSPENDED" || state["reason"] != "Sanctions hit" || reply["kycStatusDetails"].(schema.Object)["status"] != "MANUAL_REVIEW" {
			t.Fatalf("triggers not applied: %v %v", state, reply["kycStatusDetails"])
		}
		if tags := reply["tags"].([]any); len(tags) != 1 {
			t.Fatalf("tags = %v", tags)
		}
		// A late event refolds the history: the system entry keeps its place after e1.
		f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "e0", "clean", 1700000001000, `{"occupation":"pilot"}`), vigil.Flags{})
		if p := f.profile(t, "clean"); p["userStateDetails"].(schema.Object)["state"] != "SUSPENDED" || p["occupation"] != "pilot" {
			t.Fatalf("after a refold: %v", p)
		}
		// A later event reverses it; the rule no longer hits, so nothing re-suspends.
		reply = f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "e2", "clean", 1700000003000, `{"sanctionsStatus":false,"userStateDetails":{"state":"ACTIVE","reason":"cleared"}}`), vigil.Flags{})
		if reply["userStateDetails"].(schema.Object)["state"] != "ACTIVE" {
			t.Fatalf("a later event must be able to reverse a system change: %v", reply["userStateDetails"])
		}
	})
}

func TestRiskLevelParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.putRule(t, "RC-4.1", `ruleId: RC-4
ruleName: Young users
ruleDescription: Younger than the level's minimum age.
ruleAction: FLAG
expression: ageYears(user.userDetails?.dateOfBirth) < params.minAge
parameters: {minAge: 21}
riskLevelParameters: {HIGH: {minAge: 30}}
riskLevelActions: {HIGH: BLOCK}
`)
		yes := true
		f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"dateOfBirth":"2000-01-01"},"riskLevel":"HIGH"}`, vigil.Flags{LockCRARiskLevel: &yes})
		reply := f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "e1", "u1", 1700000001000, `{"occupation":"x"}`), vigil.Flags{})
		var found schema.Object
		for _, h := range reply["hitRules"].([]any) {
			if h.(schema.Object)["ruleInstanceId"] == "RC-4.1" {
				found = h.(schema.Object)
			}
		}
		if found == nil || found["executedRiskLevel"] != "HIGH" || found["ruleAction"] != "BLOCK" {
			t.Fatalf("a HIGH user (27 years) must hit with the HIGH parameters and action: %v", reply["hitRules"])
		}
		f.create(t, `{"userId":"u2","createdTimestamp":1700000000000,"userDetails":{"dateOfBirth":"2000-01-01"},"riskLevel":"LOW"}`, vigil.Flags{LockCRARiskLevel: &yes})
		other := f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "e2", "u2", 1700000001000, `{"occupation":"x"}`), vigil.Flags{})
		for _, h := range other["hitRules"].([]any) {
			if h.(schema.Object)["ruleInstanceId"] == "RC-4.1" {
				t.Fatalf("a LOW user of 27 must not hit the default minimum of 21: %v", h)
			}
		}
	})
}

func TestContactChangesWithinAWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, cleanConsumer, vigil.Flags{})
		day := int64(24 * 3600 * 1000)
		steps := []struct {
			at      int64
			patch   string
			wantHit bool
		}{
			{fixedNow - 40*day, `{"contactDetails":{"emailIds":["a@x.io"]}}`, false}, // outside the 30-day window
			{fixedNow - 30*day, `{"contactDetails":{"emailIds":["b@x.io"]}}`, false}, // exactly on the edge: counts
			{fixedNow - 10*day, `{"contactDetails":{"contactNumbers":["+49 1"]}}`, false},
			{fixedNow - 1*day, `{"contactDetails":{"addresses":[{"addressLines":["1 Main St"]}]}}`, true}, // third in 30 days
			{fixedNow - 1*day + 1, `{"occupation":"pilot"}`, true},                                        // still three in the window
		}
		for i, s := range steps {
			reply := f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, fmt.Sprint("c", i), "clean", s.at, s.patch), vigil.Flags{})
			hit := strings.Contains(strings.Join(hitIDs(reply), ","), "R-U8.1")
			if hit != s.wantHit {
				t.Fatalf("step %d: R-U8 hit = %v, want %v (hits %v)", i, hit, s.wantHit, hitIDs(reply))
			}
		}
	})
}

func TestFailingRuleCountsAsNotHit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.putRule(t, "RC-5.1", "ruleId: RC-5\nruleName: Broken\nruleDescription: Fails at run time.\nruleAction: BLOCK\nexpression: user.occupation.length > 1\n")
		reply := f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"occupation":"pilot"}`, vigil.Flags{})
		if reply["status"] == "BLOCK" {
			t.Fatal("a failing rule hit")
		}
		if len(f.metrics.failures) != 1 || f.metrics.failures[0] != "error" {
			t.Fatalf("failures counted: %v", f.metrics.failures)
		}
		doc, err := f.svc.GetRule(context.Background(), f.tenant, "RC-5.1")
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Failures vigil.RuleFailures `json:"failures"`
		}
		if err := json.Unmarshal(doc, &got); err != nil {
			t.Fatal(err)
		}
		if got.Failures.Count != 1 || got.Failures.LastReason != "error" || got.Failures.LastFailedAt == 0 || got.Failures.LastError == "" {
			t.Errorf("failures on GET /rules/RC-5.1: %+v", got.Failures)
		}
		// A new version starts without failures.
		f.putRule(t, "RC-5.1", "ruleId: RC-5\nruleName: Fixed\nruleDescription: d\nruleAction: BLOCK\nexpression: user.occupation == 'x'\n")
		if doc, _ := f.svc.GetRule(context.Background(), f.tenant, "RC-5.1"); strings.Contains(string(doc), "failures") {
			t.Errorf("failures kept across versions: %s", doc)
		}
	})
}

// TestConfigurationChangedByAnotherProcessAppliesAtOnce changes a tenant's rules through another
// service on the same database (as `vigil rules apply` does while the server runs): the next
// create and the next events must run them, although the server had the tenant's rules compiled
// and its events are computed from them before their transaction.
func TestConfigurationChangedByAnotherProcessAppliesAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.create(t, cleanConsumer, vigil.Flags{})
		ts := int64(1700000001000)
		event := func() string {
			ts++
			reply := f.eventReply(t, vigil.Consumer, fmt.Sprintf(`{"userId":"clean","timestamp":%d,"updatedConsumerUserAttributes":{"occupation":"pilot"}}`, ts), vigil.Flags{})
			return strings.Join(hitIDs(reply), ",")
		}
		if ids := event(); ids != "" {
			t.Fatalf("hits before any rule: %q", ids)
		}
		other, err := vigil.NewService(f.store, vigil.Options{})
		if err != nil {
			t.Fatal(err)
		}
		pilots := func(id string) []byte {
			return []byte("ruleId: " + id + "\nruleName: Pilots\nruleDescription: Occupation is pilot.\nruleAction: FLAG\nexpression: user.occupation == 'pilot'\n")
		}
		if _, err := other.PutRule(context.Background(), f.tenant, "RC-1.1", pilots("RC-1")); err != nil {
			t.Fatal(err)
		}
		created := f.create(t, `{"userId":"pilot","createdTimestamp":1700000000000,"occupation":"pilot"}`, vigil.Flags{})
		if ids := strings.Join(hitIDs(created), ","); !strings.Contains(ids, "RC-1.1") {
			t.Fatalf("hits of a create after another process added RC-1.1: %q", ids)
		}
		if ids := event(); ids != "RC-1.1" {
			t.Fatalf("hits of an event after another process added RC-1.1: %q", ids)
		}
		if _, err := other.PutRule(context.Background(), f.tenant, "RC-3.1", pilots("RC-3")); err != nil {
			t.Fatal(err)
		}
		if ids := event(); ids != "RC-1.1,RC-3.1" {
			t.Fatalf("hits of an event after another process added RC-3.1: %q", ids)
		}
		if err := other.DeleteRule(context.Background(), f.tenant, "RC-1.1"); err != nil {
			t.Fatal(err)
		}
		if ids := event(); ids != "RC-3.1" {
			t.Fatalf("hits of an event after another process deleted RC-1.1: %q", ids)
		}
	})
}
