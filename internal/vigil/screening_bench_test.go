package vigil_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/vigil-aml/vigil/internal/screening"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// BenchmarkEventScreening measures one event on SQLite with a 100,000-entry list loaded: one
// that changes no screened field (it must cost what an event costs without lists: no search)
// and one that renames the user (one search of the index per name).
func BenchmarkEventScreening(b *testing.B) {
	for _, lists := range []int{0, 100_000} {
		for _, rename := range []bool{false, true} {
			b.Run(fmt.Sprintf("entries=%d/rename=%v", lists, rename), func(b *testing.B) {
				f := newFixture(b, storetest.Backends(b)[0])
				ctx := context.Background()
				if lists > 0 {
					var put []vigil.ScreeningEntry
					screening.GenerateEntries(23, lists, func(e screening.Entry) {
						e.Source = "SYNTHETIC"
						body, _ := json.Marshal(e)
						put = append(put, vigil.ScreeningEntry{EntryID: e.ID, Digest: e.Digest().String(), Body: body})
					})
					l := vigil.ScreeningList{ID: "SYNTHETIC", Source: "SYNTHETIC", Name: "synthetic", Kind: vigil.ListSanctions, Entries: lists, Version: "1"}
					if err := f.store.Update(ctx, func(tx vigil.Tx) error { return tx.PutScreeningList(ctx, l, put, nil) }); err != nil {
						b.Fatal(err)
					}
					if _, err := f.svc.RefreshLists(ctx); err != nil {
						b.Fatal(err)
					}
				}
				f.createAs(b, vigil.Consumer, `{"userId":"u","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Anna","lastName":"Schmidt"},"dateOfBirth":"1990-02-03","countryOfNationality":"DE"}}`, vigil.Flags{})
				// A new surname every time: a name screened before in this list version would be
				// found in the screening memo instead of searched.
				first := []string{"Anna", "Maria", "Olga", "Fatima", "Li", "Grace", "Ines"}
				last := []string{"Schmidt", "Novak", "Haddad", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Costa"}
				b.ResetTimer()
				for i := range b.N {
					patch := fmt.Sprintf(`{"tags":[{"key":"n","value":"%d"}]}`, i)
					if rename {
						patch = fmt.Sprintf(`{"userDetails":{"name":{"firstName":%q,"lastName":"%s %s"},"dateOfBirth":"1990-02-03","countryOfNationality":"DE"}}`,
							first[i%len(first)], last[(i/len(first))%len(last)], last[(i/len(first)/len(last))%len(last)])
					}
					body := fmt.Sprintf(`{"userId":"u","timestamp":%d,"updatedConsumerUserAttributes":%s}`, 1700000001000+int64(i), patch)
					if _, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(b, body), vigil.Flags{}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(f.svc.ScreeningSearches())/float64(b.N), "searches/op")
			})
		}
	}
}
