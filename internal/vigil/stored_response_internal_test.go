package vigil

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/rules"
)

// storedFixture is an evaluation of three rule versions, one hit with vars, with text that
// needs escaping.
func storedFixture() (Evaluation, map[rules.Version]rules.Identity) {
	ids := map[rules.Version]rules.Identity{
		{InstanceID: "R-1.1", VersionID: "v1"}: rules.IdentityOf(rules.Rule{ID: "R-1", InstanceID: "R-1.1", Name: `Sanctioned <"ü">`, Description: "a & b", Labels: []string{"SANCTIONS"}, Nature: "SCREENING"}),
		{InstanceID: "R-2.1", VersionID: "v7"}: rules.IdentityOf(rules.Rule{InstanceID: "R-2.1", Name: "No labels", Description: "custom"}),
		{InstanceID: "R-3.1", VersionID: "v2"}: rules.IdentityOf(rules.Rule{ID: "R-3", InstanceID: "R-3.1", Name: "Third", Description: "d", Labels: []string{}}),
	}
	const at, level = 1700000001234, "HIGH"
	hitVars := []rules.Vars{{Value: map[string]any{"user": map[string]any{"sanctionsStatus": true, "n": 1.5e300, "big": 9007199254740992.0}, "s": "x\u2028y"}}}
	results := []rules.Result{
		ids[rules.Version{InstanceID: "R-1.1", VersionID: "v1"}].Result("R-1.1", "v1", "BLOCK", true, at, level, hitVars),
		ids[rules.Version{InstanceID: "R-2.1", VersionID: "v7"}].Result("R-2.1", "v7", "FLAG", false, at, level, nil),
		ids[rules.Version{InstanceID: "R-3.1", VersionID: "v2"}].Result("R-3.1", "v2", "SUSPEND", true, at, level, nil),
	}
	ev := Evaluation{ExecutedRules: results, HitRules: []rules.Hit{results[0].AsHit(), results[2].AsHit()},
		RiskScoreDetails: &risk.Details{KYCRiskScore: 12.345678901234, CRARiskScore: 80, KYCRiskLevel: "LOW", CRARiskLevel: "VERY_HIGH"},
		Status:           "BLOCK"}
	return ev, ids
}

func TestCompactResponseExpandsToTheOriginal(t *testing.T) {
	ev, ids := storedFixture()
	evJSON, err := ev.appendJSON(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	none := Evaluation{ExecutedRules: []rules.Result{}, HitRules: []rules.Hit{}, Status: "ALLOW"}
	noneJSON, _ := none.appendJSON(nil, nil)
	tests := []struct {
		name   string
		doc    []byte
		ev     Evaluation
		evJSON []byte
	}{
		{"event: the profile first", []byte(`{"userId":"u-1","tags":[{"key":"k","value":"<v>"}],"n":1e21}`), ev, evJSON},
		{"create: the userId first", userIDDoc(`odd "id" <&>`), ev, evJSON},
		{"no rule ran", userIDDoc("u-2"), none, noneJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{}
			s.identities.remember("t1", ids)
			out := evaluated{evaluation: tc.ev}
			stored, list := storedResponse(tc.doc, out, ids)
			if stored[0] != listMarker {
				t.Fatalf("stored whole: %s", stored)
			}
			if toStore := s.ruleLists.toStore("t1", list); toStore == nil || toStore.Key != list.key {
				t.Fatalf("the list to store with the response: %+v", toStore)
			}
			got, err := s.expandResponse(context.Background(), "t1", stored)
			if err != nil {
				t.Fatal(err)
			}
			if want := withFields(tc.doc, tc.evJSON); !bytes.Equal(got, want) {
				t.Errorf("expanded\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestCreateReplyIsCreateResponse: the create reply built from userIDDoc is the wire's
// create response as encoding/json writes it.
func TestCreateReplyIsCreateResponse(t *testing.T) {
	ev, _ := storedFixture()
	evJSON, err := ev.appendJSON(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"u-1", `odd "id" <&>`, "ü\u2028"} {
		got := withFields(userIDDoc(id), evJSON)
		if want := mustEncode(createResponse{UserID: id, Evaluation: ev}); !bytes.Equal(got, want) {
			t.Errorf("%q:\n%s\nwant\n%s", id, got, want)
		}
	}
}

// TestResponsesThatDoNotFitAreStoredWhole: an evaluation the compact form could not rebuild is
// stored as it was sent, and read back as it is.
func TestResponsesThatDoNotFitAreStoredWhole(t *testing.T) {
	change := map[string]func(ev *Evaluation, ids map[rules.Version]rules.Identity){
		"unknown version": func(_ *Evaluation, ids map[rules.Version]rules.Identity) {
			delete(ids, rules.Version{InstanceID: "R-2.1", VersionID: "v7"})
		},
		"text not the version's": func(ev *Evaluation, _ map[rules.Version]rules.Identity) { ev.ExecutedRules[1].RuleName = "other" },
		"two times":              func(ev *Evaluation, _ map[rules.Version]rules.Identity) { ev.ExecutedRules[1].ExecutedAt++ },
		"two levels": func(ev *Evaluation, _ map[rules.Version]rules.Identity) {
			ev.ExecutedRules[1].ExecutedRiskLevel = "LOW"
		},
		"a shadow result": func(ev *Evaluation, _ map[rules.Version]rules.Identity) { ev.ExecutedRules[1].IsShadow = true },
		"a hit missing":   func(ev *Evaluation, _ map[rules.Version]rules.Identity) { ev.HitRules = ev.HitRules[:1] },
		"an extra hit": func(ev *Evaluation, _ map[rules.Version]rules.Identity) {
			ev.HitRules = append(ev.HitRules, ev.HitRules[0])
		},
		"a hit unlike its result": func(ev *Evaluation, _ map[rules.Version]rules.Identity) {
			ev.HitRules[1].RuleAction = "FLAG"
		},
		"no executed list": func(ev *Evaluation, _ map[rules.Version]rules.Identity) { ev.ExecutedRules = nil },
	}
	for name, f := range change {
		t.Run(name, func(t *testing.T) {
			ev, ids := storedFixture()
			ev.HitRules = append([]rules.Hit(nil), ev.HitRules...)
			f(&ev, ids)
			evJSON, err := ev.appendJSON(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			doc := userIDDoc("u")
			stored, list := storedResponse(doc, evaluated{evaluation: ev}, ids)
			want := withFields(doc, evJSON)
			if !bytes.Equal(stored, want) || list.key != "" {
				t.Fatalf("stored %q with list %q, want it whole", stored, list.key)
			}
			got, err := (&Service{}).expandResponse(context.Background(), "t1", stored)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("read back %s, %v; want it as stored", got, err)
			}
		})
	}
}

// TestRuleListsAreSharedAndRead: writes that executed the same rules name one list, whatever
// they found; a list is written until a committed write marks it stored; a service that never
// saw it reads it from the store; and a response stored in the first compact form, which
// carried every rule, still expands.
func TestRuleListsAreSharedAndRead(t *testing.T) {
	ev, ids := storedFixture()
	other := ev
	other.ExecutedRules = append([]rules.Result(nil), ev.ExecutedRules...)
	other.ExecutedRules[0].RuleHit, other.ExecutedRules[0].Vars = false, nil
	other.HitRules = []rules.Hit{other.ExecutedRules[2].AsHit()}
	doc := userIDDoc("u")
	first, list := storedResponse(doc, evaluated{evaluation: ev}, ids)
	second, list2 := storedResponse(doc, evaluated{evaluation: other}, ids)
	if list.key != list2.key || bytes.Equal(first, second) {
		t.Fatalf("lists %s and %s for the same rules", list.key, list2.key)
	}
	writer := &Service{}
	toStore := writer.ruleLists.toStore("t1", list)
	if toStore == nil {
		t.Fatal("a new list is not stored with its write")
	}
	if again := writer.ruleLists.toStore("t1", list); again == nil {
		t.Error("a list is left out before any write that stored it committed")
	}
	writer.ruleLists.markStored(toStore)
	if again := writer.ruleLists.toStore("t1", list); again != nil {
		t.Error("a list is stored again after a committed write stored it")
	}
	if other := writer.ruleLists.toStore("t2", list); other == nil {
		t.Error("another tenant's write does not store its own copy")
	}

	reader := &Service{store: listStore{lists: map[string][]byte{"t1/" + list.key: list.doc}}}
	reader.identities.remember("t1", ids)
	for _, tc := range []struct {
		stored []byte
		ev     Evaluation
	}{{first, ev}, {second, other}, {compactV1(t, doc, ev), ev}} {
		evJSON, err := tc.ev.appendJSON(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := reader.expandResponse(context.Background(), "t1", tc.stored)
		if want := withFields(doc, evJSON); err != nil || !bytes.Equal(got, want) {
			t.Errorf("expanded %q:\n%s, %v\nwant\n%s", tc.stored[:1], got, err, want)
		}
	}
	if _, err := reader.expandResponse(context.Background(), "t2", first); err == nil {
		t.Error("a response naming a list its tenant does not have expanded")
	}
}

// compactV1 is a response in the first compact form, every executed rule in it.
func compactV1(t *testing.T, doc []byte, ev Evaluation) []byte {
	c := compactEvaluation{ExecutedAt: ev.ExecutedRules[0].ExecutedAt, RiskLevel: ev.ExecutedRules[0].ExecutedRiskLevel,
		Risk: ev.RiskScoreDetails, Status: ev.Status}
	for _, r := range ev.ExecutedRules {
		c.Rules = append(c.Rules, compactRule{InstanceID: r.RuleInstanceID, VersionID: r.VersionID, Action: r.RuleAction,
			Hit: r.RuleHit, Vars: r.Vars})
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return append(append(append([]byte{compactMarker}, doc...), 0), b...)
}

// listStore is a Store that holds only rule lists, by tenant and key.
type listStore struct {
	Store
	lists map[string][]byte
}

func (s listStore) RuleList(_ context.Context, tenantID, key string) ([]byte, error) {
	if doc, ok := s.lists[tenantID+"/"+key]; ok {
		return doc, nil
	}
	return nil, ErrNotFound
}
