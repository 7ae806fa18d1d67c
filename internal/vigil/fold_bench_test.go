package vigil

import (
	"fmt"
	"testing"

	"github.com/vigil-aml/vigil/internal/schema"
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

// BenchmarkLateFold computes a late event's profile in memory, from a history of n events of the
// load's shape, late behind the last event, behind half of them and before all of them: through
// the fold index (decoding the stored index, applying the patch's uncovered paths, recording the
// event and encoding the index again, as a write does) and by refolding the whole history (what
// follows the history's read when there is no index). BenchmarkLateEvent adds the store around it.
func BenchmarkLateFold(b *testing.B) {
	patch := schema.Object{"userStateDetails": schema.Object{"state": "BLOCKED"}, "occupation": "pilot"}
	body := mustEncode(schema.Object{"userId": "u", "updatedConsumerUserAttributes": patch})
	for _, n := range []int{1_000, 10_000, 50_000} {
		history := foldHistory(n)
		s := &Service{}
		previous, ix, err := s.foldIndexed(append([]Entry(nil), history...), -1)
		if err != nil || ix == nil {
			b.Fatal(err)
		}
		stored := ix.encode()
		base := history[0].Timestamp
		for _, late := range []struct {
			name string
			ts   int64
		}{{"late-by-1", base + int64(n) - 1}, {"late-by-half", base + int64(n/2)}, {"late-to-beginning", base}} {
			e := Entry{Seq: int64(n) + 2, Type: EntryEvent, EventKind: Consumer, Timestamp: late.ts, Body: body}
			b.Run(fmt.Sprintf("history=%d/%s/index", n, late.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					ix := decodeFoldIndex(stored)
					if _, ok := ix.lateProfile(previous, patch, foldPos{e.Timestamp, e.Seq}); !ok {
						b.Fatal("the index did not decide")
					}
					if ix.after(false, late.ts, e, patch, nil, true) == nil {
						b.Fatal("no index")
					}
				}
			})
			b.Run(fmt.Sprintf("history=%d/%s/refold", n, late.name), func(b *testing.B) {
				entries := make([]Entry, len(history)+1)
				b.ReportAllocs()
				for b.Loop() {
					copy(entries, history)
					entries[len(history)] = e
					if _, _, err := s.foldIndexed(entries, e.Seq); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFoldIndexWrite is what the fold index adds to every write: decoding the user's
// stored index, recording an event of the load's shape and encoding it again.
func BenchmarkFoldIndexWrite(b *testing.B) {
	history := foldHistory(100)
	_, ix, err := (&Service{}).foldIndexed(history, -1)
	if err != nil || ix == nil {
		b.Fatal(err)
	}
	stored := ix.encode()
	patch := schema.Object{"userStateDetails": schema.Object{"state": "ACTIVE"}, "kycStatusDetails": schema.Object{"status": "SUCCESSFUL"},
		"tags": []any{schema.Object{"key": "batch", "value": "1"}}}
	e := Entry{Seq: 200, Type: EntryEvent, EventKind: Consumer, Timestamp: history[len(history)-1].Timestamp + 1}
	b.ReportAllocs()
	for b.Loop() {
		if decodeFoldIndex(stored).after(false, e.Timestamp, e, patch, nil, false) == nil {
			b.Fatal("no index")
		}
	}
}
