package vigil_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestFoldWindowMatchesFullRefold sends the same random events, many of them late, to a service
// that keeps users cached (late events fold through the cached window of their last writes)
// and to one without a cache (every late event reads and refolds the whole history). Every
// reply, the profile included, must be the same byte for byte, and the cached service must have
// refolded fewer histories.
func TestFoldWindowMatchesFullRefold(t *testing.T) {
	b := storetest.Backends(t)[0]
	// Both leave the fold index aside (TestFoldIndexMatchesFullRefold covers it).
	windowed := newFixtureWith(t, b.Open(t), vigil.Options{LateEventsRefold: true})
	refolding := newFixtureWith(t, b.Open(t), vigil.Options{UserCacheBytes: -1, LateEventsRefold: true})
	// Rules see the profile before the levels are computed again: a late event must show them
	// the same levels, whichever way it was folded.
	for _, f := range []*fixture{windowed, refolding} {
		f.putRule(t, "RC-1.1", "ruleId: RC-1\nruleName: Levels\nruleDescription: d\nruleAction: FLAG\nexpression: user.riskLevel == 'HIGH' || user.kycRiskLevel == 'LOW'\n")
	}
	states := []string{"ACTIVE", "SUSPENDED", "DORMANT", "BLOCKED"}
	kyc := []string{"NEW", "IN_PROGRESS", "SUCCESSFUL", "FAILED", "MANUAL_REVIEW"}
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 11))
		user := fmt.Sprintf("u%d", seed)
		create := fmt.Sprintf(`{"userId":%q,"createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada","lastName":"L"},"countryOfResidence":"DE"},"userStateDetails":{"state":"CREATED"},"tags":[{"key":"a","value":"0"}]}`, user)
		for _, f := range []*fixture{windowed, refolding} {
			f.create(t, create, vigil.Flags{})
		}
		ts := int64(1700000100000)
		for i := range 60 {
			ts += int64(rng.IntN(5000))
			at := ts
			if rng.IntN(3) == 0 { // late, by up to about a dozen events
				at -= int64(rng.IntN(30000))
			}
			var patch string
			switch rng.IntN(6) {
			case 0:
				patch = fmt.Sprintf(`"userStateDetails":{"state":%q}`, states[rng.IntN(len(states))])
			case 1:
				patch = fmt.Sprintf(`"kycStatusDetails":{"status":%q}`, kyc[rng.IntN(len(kyc))])
			case 2:
				patch = fmt.Sprintf(`"tags":[{"key":"k%d","value":"%d"}]`, rng.IntN(4), i)
			case 3:
				patch = fmt.Sprintf(`"userDetails":{"name":{"middleName":"M%d"},"countryOfNationality":%q}`, i, []string{"DE", "FR", "IR"}[rng.IntN(3)])
			case 4:
				patch = `"userDetails":{"name":{"middleName":null}},"occupation":null`
			case 5:
				patch = fmt.Sprintf(`"occupation":"o%d","riskLevel":%q`, i, []string{"LOW", "HIGH"}[rng.IntN(2)])
			}
			body := fmt.Sprintf(`{"userId":%q,"eventId":"%s-e%d","timestamp":%d,"updatedConsumerUserAttributes":{%s}}`, user, user, i, at, patch)
			a, errA := windowed.event(t, body, vigil.Flags{})
			b, errB := refolding.event(t, body, vigil.Flags{})
			if (errA == nil) != (errB == nil) {
				t.Fatalf("seed %d event %d %s: errors differ: %v and %v", seed, i, body, errA, errB)
			}
			if !bytes.Equal(a.Body, b.Body) {
				t.Fatalf("seed %d event %d %s: replies differ:\nwindow: %s\nrefold: %s", seed, i, body, a.Body, b.Body)
			}
		}
	}
	if w, r := len(windowed.metrics.refolds), len(refolding.metrics.refolds); w >= r || r == 0 {
		t.Errorf("%d full refolds with the window, %d without: want fewer with it", w, r)
	}
}
