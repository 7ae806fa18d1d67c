package vigil_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// pointInTime is the part of UserAt's answer the tests read.
type pointInTime struct {
	Seq     int64 `json:"seq"`
	Profile struct {
		SanctionsStatus  bool `json:"sanctionsStatus"`
		UserStateDetails struct {
			State string `json:"state"`
		} `json:"userStateDetails"`
	} `json:"profile"`
	Results struct {
		HitRules []struct {
			RuleInstanceID string `json:"ruleInstanceId"`
		} `json:"hitRules"`
		RiskScoreDetails struct {
			KYCRiskLevel string `json:"kycRiskLevel"`
		} `json:"riskScoreDetails"`
	} `json:"results"`
	ResultsSeq int64 `json:"resultsSeq"`
	Risk       *struct {
		KYC struct {
			Level string `json:"level"`
		} `json:"kyc"`
		Factors []struct {
			ID    string  `json:"id"`
			Score float64 `json:"score"`
		} `json:"factors"`
	} `json:"risk"`
}

// TestUserAtEveryEntry checks the point in time of each entry of a history with a rule's
// change: the profile folds up to the entry, and the results and risk are those the write
// stored, the rule's change (a system entry) showing its write's.
func TestUserAtEveryEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ctx := context.Background()
		f.putRule(t, "RC-3.1", `ruleId: RC-3
ruleName: Sanctions freeze
ruleDescription: Suspends sanctioned users for review.
ruleAction: SUSPEND
expression: user.sanctionsStatus == true
triggersOnHit:
  userStateDetails: {state: SUSPENDED, reason: Sanctions hit}
`)
		f.create(t, cleanConsumer, vigil.Flags{})
		f.eventReply(t, vigil.Consumer, eventFor(vigil.Consumer, "e1", "clean", 1700000002000, `{"sanctionsStatus":true}`), vigil.Flags{})
		at := func(asOf, seq int64) pointInTime {
			t.Helper()
			reply, err := f.svc.UserAt(ctx, f.tenant, vigil.Consumer, "clean", asOf, seq)
			if err != nil {
				t.Fatalf("UserAt(%d, %d): %v", asOf, seq, err)
			}
			var p pointInTime
			if err := json.Unmarshal(reply, &p); err != nil {
				t.Fatal(err)
			}
			if p.Risk == nil || len(p.Risk.Factors) == 0 || p.Risk.KYC.Level != p.Results.RiskScoreDetails.KYCRiskLevel {
				t.Fatalf("UserAt(%d, %d): risk %+v does not explain the results' %+v", asOf, seq, p.Risk, p.Results.RiskScoreDetails)
			}
			return p
		}
		hits := func(p pointInTime) bool {
			for _, h := range p.Results.HitRules {
				if h.RuleInstanceID == "RC-3.1" {
					return true
				}
			}
			return false
		}
		sanctionsScore := func(p pointInTime) float64 {
			for _, fr := range p.Risk.Factors {
				if fr.ID == "sanctions" {
					return fr.Score
				}
			}
			t.Fatalf("no sanctions factor in %+v", p.Risk.Factors)
			return 0
		}
		created, event, system := at(0, 1), at(0, 2), at(0, 3)
		if created.Profile.SanctionsStatus || created.Profile.UserStateDetails.State != "ACTIVE" || created.ResultsSeq != 1 || hits(created) {
			t.Errorf("after the creation: %+v", created)
		}
		if !event.Profile.SanctionsStatus || event.Profile.UserStateDetails.State != "ACTIVE" || event.ResultsSeq != 2 || !hits(event) {
			t.Errorf("after the event, before the rule's change: %+v", event)
		}
		if system.Profile.UserStateDetails.State != "SUSPENDED" || system.ResultsSeq != 2 || !hits(system) {
			t.Errorf("after the rule's change: %+v", system)
		}
		if sanctionsScore(created) >= sanctionsScore(event) {
			t.Errorf("the sanctions factor did not rise: %v then %v", sanctionsScore(created), sanctionsScore(event))
		}
		// By time: the last entry at or before it (the rule's change shares its event's time).
		if byTime := at(1700000002000, 0); byTime.Seq != 3 {
			t.Errorf("as of the event's time: entry %d, want 3", byTime.Seq)
		}
		if byTime := at(1700000001999, 0); byTime.Seq != 1 {
			t.Errorf("just before the event: entry %d, want 1", byTime.Seq)
		}
		for _, tc := range []struct{ asOf, seq int64 }{{0, 4}, {1600000000000, 0}} {
			var ve *vigil.Error
			if _, err := f.svc.UserAt(ctx, f.tenant, vigil.Consumer, "clean", tc.asOf, tc.seq); !errors.As(err, &ve) || ve.Code != vigil.CodeNotFound {
				t.Errorf("UserAt(%d, %d) = %v, want not found", tc.asOf, tc.seq, err)
			}
		}
	})
}
