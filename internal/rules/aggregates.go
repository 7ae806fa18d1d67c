package rules

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
)

// Aggregates summarise a user's history for stateful rules. They are updated on every write
// from the profile before and after it, so evaluating a rule never reads the whole history.
type Aggregates struct {
	// Changes holds, per tracked attribute, the times (epoch ms) its value changed, oldest first,
	// at most maxChanges of them.
	Changes map[string][]int64 `json:"changes,omitempty"`
	// StateChangedAt is when the user's state last changed (epoch ms), 0 if never set.
	StateChangedAt int64 `json:"stateChangedAt,omitempty"`
	// KYCFailures are the times the KYC status became FAILED.
	KYCFailures []int64 `json:"kycFailures,omitempty"`
}

// maxChanges bounds the change times kept per attribute: enough for any sane window threshold.
const maxChanges = 64

// Tracked lists the attributes whose changes are counted, with the profile paths that make them
// up (consumer and business paths alike). Rules use them as changes("email", days).
var Tracked = map[string][]string{
	"email":          {"contactDetails.emailIds", "legalEntity.contactDetails.emailIds"},
	"phone":          {"contactDetails.contactNumbers", "legalEntity.contactDetails.contactNumbers"},
	"address":        {"contactDetails.addresses", "legalEntity.contactDetails.addresses"},
	"name":           {"userDetails.name", "legalEntity.companyGeneralDetails.legalName"},
	"residence":      {"userDetails.countryOfResidence", "legalEntity.companyRegistrationDetails.registrationCountry"},
	"nationality":    {"userDetails.countryOfNationality", "userDetails.secondaryCountryOfNationality"},
	"documents":      {"legalDocuments"},
	"paymentDetails": {"savedPaymentDetails"},
	"state":          {"userStateDetails.state"},
	"kycStatus":      {"kycStatusDetails.status"},
}

// Update returns the aggregates after a write that turned previous (nil for a new user) into
// current at time at (epoch ms).
func (a Aggregates) Update(previous, current map[string]any, at int64) Aggregates {
	// The result shares a's lists but never writes them: each append goes through slices.Clip,
	// so it copies, and a (a cached user's state) stays as it was.
	out := Aggregates{Changes: maps.Clone(a.Changes), StateChangedAt: a.StateChangedAt,
		KYCFailures: slices.Clip(a.KYCFailures)}
	if out.Changes == nil {
		out.Changes = map[string][]int64{}
	}
	if previous == nil {
		if lookupPath(current, statePath) != nil {
			out.StateChangedAt = at
		}
		if lookupPath(current, kycStatusPath) == "FAILED" {
			out.KYCFailures = append(out.KYCFailures, at)
		}
		return out
	}
	for _, t := range trackedPaths {
		attr := t.attr
		if sameAt(previous, current, t.paths) {
			continue
		}
		times := append(slices.Clip(out.Changes[attr]), at)
		if len(times) > maxChanges {
			times = times[len(times)-maxChanges:]
		}
		out.Changes[attr] = times
		switch attr {
		case "state":
			out.StateChangedAt = at
		case "kycStatus":
			if lookupPath(current, kycStatusPath) == "FAILED" {
				out.KYCFailures = append(out.KYCFailures, at)
				if len(out.KYCFailures) > maxChanges {
					out.KYCFailures = out.KYCFailures[len(out.KYCFailures)-maxChanges:]
				}
			}
		}
	}
	return out
}

// countSince counts times at or after now minus days.
func countSince(times []int64, now int64, days float64) int {
	cutoff := now - int64(days*float64(24*time.Hour/time.Millisecond))
	n := 0
	for _, t := range times {
		if t >= cutoff {
			n++
		}
	}
	return n
}

// trackedPaths is Tracked with its paths split at the dots, in a fixed order: every write
// compares them all.
var trackedPaths = func() []trackedAttribute {
	out := make([]trackedAttribute, 0, len(Tracked))
	for attr, paths := range Tracked {
		t := trackedAttribute{attr: attr}
		for _, p := range paths {
			t.paths = append(t.paths, strings.Split(p, "."))
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b trackedAttribute) int { return strings.Compare(a.attr, b.attr) })
	return out
}()

// statePath and kycStatusPath are the tracked "state" and "kycStatus" paths, split.
var (
	statePath     = []string{"userStateDetails", "state"}
	kycStatusPath = []string{"kycStatusDetails", "status"}
)

type trackedAttribute struct {
	attr  string
	paths [][]string
}

// sameAt reports whether two documents hold equal JSON values at every one of paths.
func sameAt(a, b map[string]any, paths [][]string) bool {
	for _, p := range paths {
		if !schema.Equal(lookupPath(a, p), lookupPath(b, p)) {
			return false
		}
	}
	return true
}

// lookupPath reads a path of keys, nil when any step is missing.
func lookupPath(doc map[string]any, path []string) any {
	var cur any = doc
	for _, key := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[key]
	}
	return cur
}
