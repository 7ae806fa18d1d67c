package vigil

import (
	"fmt"
	"testing"
)

// BenchmarkFold refolds a user's whole history in memory, as a late event does after reading
// it: a create, then events shaped like the benchmark load's (state, KYC status and a tag).
// Its cost grows with the history; BenchmarkEventByHistoryLength adds the store around it.
func BenchmarkFold(b *testing.B) {
	for _, n := range []int{1, 100, 10_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			history := foldHistory(n)
			s := &Service{}
			entries := make([]Entry, len(history))
			b.ReportAllocs()
			for b.Loop() {
				copy(entries, history) // fold sorts in place
				if _, err := s.fold(entries); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// foldHistory is a create followed by n events in timestamp order.
func foldHistory(n int) []Entry {
	states := []string{"ACTIVE", "SUSPENDED", "DORMANT"}
	kyc := []string{"IN_PROGRESS", "SUCCESSFUL", "MANUAL_REVIEW"}
	out := []Entry{{Seq: 1, Type: EntryCreate, Timestamp: 1700000000000, Body: []byte(`{"userId":"u","createdTimestamp":1700000000000,` +
		`"userDetails":{"name":{"firstName":"Ada","lastName":"Lovelace"},"countryOfResidence":"DE","countryOfNationality":"DE",` +
		`"dateOfBirth":"1990-01-01"},"userStateDetails":{"state":"ACTIVE"},"kycStatusDetails":{"status":"SUCCESSFUL"},` +
		`"contactDetails":{"emailIds":["ada@example.com"]},"employmentStatus":"EMPLOYED","sourceOfFunds":["Salary"]}`)}}
	for i := 1; i <= n; i++ {
		out = append(out, Entry{Seq: int64(i + 1), Type: EntryEvent, EventKind: Consumer, Timestamp: 1700000000000 + int64(i),
			Body: fmt.Appendf(nil, `{"eventId":"e%d","userId":"u","timestamp":%d,"reason":"load","updatedConsumerUserAttributes":`+
				`{"userStateDetails":{"state":"%s"},"kycStatusDetails":{"status":"%s"},"tags":[{"key":"batch","value":"%d"}]}}`,
				i, 1700000000000+i, states[i%3], kyc[i%3], i%10)})
	}
	return out
}

// TestFoldHistoryEndsAtItsLastEvent: the benchmark's history folds to its last event's values.
func TestFoldHistoryEndsAtItsLastEvent(t *testing.T) {
	profile, err := (&Service{}).fold(foldHistory(100))
	if err != nil {
		t.Fatal(err)
	}
	state := profile["userStateDetails"].(map[string]any)["state"]
	tags := fmt.Sprint(profile["tags"])
	if state != "SUSPENDED" || tags != "[map[key:batch value:0]]" || profile["employmentStatus"] != "EMPLOYED" {
		t.Errorf("folded %v", profile)
	}
}
