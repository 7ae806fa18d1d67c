package vigil_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// importLists loads list files of testdata/lists into the fixture's store.
func (f *fixture) importLists(t *testing.T, names ...string) []vigil.ListChange {
	t.Helper()
	var files []io.Reader
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", "lists", n))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, strings.NewReader(string(b)))
	}
	changes, err := f.svc.ImportLists(context.Background(), files...)
	if err != nil {
		t.Fatalf("import %v: %v", names, err)
	}
	return changes
}

// screeningHit returns the ruleHitMeta of the R-U15 hit of a reply (nil when it did not hit),
// checking that the executed result carries the same.
func screeningHit(t *testing.T, reply schema.Object) map[string]any {
	t.Helper()
	var meta map[string]any
	hits, _ := reply["hitRules"].([]any)
	for _, h := range hits {
		if h.(schema.Object)["ruleInstanceId"] == "R-U15.1" {
			meta, _ = h.(schema.Object)["ruleHitMeta"].(schema.Object)
			if meta == nil {
				t.Fatalf("R-U15 hit without ruleHitMeta: %v", h)
			}
		}
	}
	executed, _ := reply["executedRules"].([]any)
	for _, r := range executed {
		r := r.(schema.Object)
		if r["ruleInstanceId"] == "R-U15.1" && (r["ruleHit"] == true) != (meta != nil) {
			t.Fatalf("executed R-U15 %v disagrees with hitRules", r)
		}
	}
	return meta
}

// sanctionsDetails returns the details of a hit's ruleHitMeta.
func sanctionsDetails(t *testing.T, meta map[string]any) []schema.Object {
	t.Helper()
	var out []schema.Object
	for _, d := range meta["sanctionsDetails"].([]any) {
		out = append(out, d.(schema.Object))
	}
	return out
}

// TestScreeningOnWrites: a listed name hits R-U15 on create with Flagright's sanctionsDetails,
// the search behind it is stored with its explanation, sanctions and PEP feed the risk factors,
// a write that changes no screened field searches nothing, and a rename is screened.
func TestScreeningOnWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ctx := context.Background()
		changes := f.importLists(t, "sdn.csv", "alt.csv", "add.csv", "opensanctions.jsonl")
		if len(changes) != 2 || changes[0].List.ID != "OFAC-SDN" || changes[0].Added != 5 || changes[1].List.Kind != vigil.ListSanctionsPEP {
			t.Fatalf("changes %+v", changes)
		}

		// A sanctioned person on create.
		reply := f.create(t, `{"userId":"u1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Hamid","middleName":"Rashid","lastName":"Hammadi"},"dateOfBirth":"1956-01-04","countryOfNationality":"IQ"}}`, vigil.Flags{})
		meta := screeningHit(t, reply)
		if meta == nil || meta["isOngoingScreeningHit"] != false {
			t.Fatalf("no screening hit on create: %v", reply["hitRules"])
		}
		details := sanctionsDetails(t, meta)
		d := details[0]
		ctxt := d["hitContext"].(schema.Object)
		if len(details) != 1 || d["name"] != "Hamid Rashid Hammadi" || d["entityType"] != "CONSUMER_NAME" ||
			!slices.Equal(toStrings(d["sanctionHitIds"]), []string{"OFAC-SDN:2674"}) || ctxt["entity"] != "USER" || ctxt["userId"] != "u1" {
			t.Fatalf("sanctionsDetails %v", details)
		}
		if kyc, _, _, _ := riskOf(t, reply); kyc != "HIGH" && kyc != "VERY_HIGH" {
			t.Errorf("a sanctions match leaves the KYC level at %s; the sanctions factor's floor is HIGH", kyc)
		}
		search, err := f.svc.ScreeningSearch(ctx, f.tenant, d["searchId"].(string))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			UserID string `json:"userId"`
			Hits   []struct {
				HitID, ListID, MatchedName string
				Programmes                 []string
				Sanctioned                 bool
				Score                      float64
				TokenPairs                 []any
				Evidence                   []struct{ Factor string }
			}
		}
		if err := json.Unmarshal(search, &got); err != nil {
			t.Fatal(err)
		}
		if got.UserID != "u1" || len(got.Hits) != 1 || got.Hits[0].HitID != "OFAC-SDN:2674" || got.Hits[0].ListID != "OFAC-SDN" ||
			!slices.Equal(got.Hits[0].Programmes, []string{"IRAQ2"}) || !got.Hits[0].Sanctioned || got.Hits[0].Score < 0.86 ||
			len(got.Hits[0].TokenPairs) != 3 || len(got.Hits[0].Evidence) == 0 || got.Hits[0].Evidence[0].Factor != "birthDate" {
			t.Fatalf("search %s", search)
		}
		// The hit is read back with the user, its meta whole.
		if meta := screeningHit(t, f.profile(t, "u1")); meta == nil {
			t.Fatal("GET of the user lost the screening hit")
		}

		// A clean user; an event that changes no screened field searches nothing.
		reply = f.create(t, `{"userId":"u2","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Anna","lastName":"Schmidt"},"dateOfBirth":"1990-02-03","countryOfNationality":"DE"}}`, vigil.Flags{})
		if screeningHit(t, reply) != nil {
			t.Fatalf("a clean user hit: %v", reply["hitRules"])
		}
		before := f.svc.ScreeningSearches()
		for i, patch := range []string{`{"tags":[{"key":"k","value":"v"}]}`, `{"contactDetails":{"emailIds":["anna@example.com"]}}`} {
			if _, err := f.event(t, `{"userId":"u2","timestamp":170000000100`+string(rune('0'+i))+`,"updatedConsumerUserAttributes":`+patch+`}`, vigil.Flags{}); err != nil {
				t.Fatal(err)
			}
		}
		r := f.eventReply(t, vigil.Consumer, `{"userId":"u1","timestamp":1700000002000,"updatedConsumerUserAttributes":{"tags":[{"key":"k","value":"v"}]}}`, vigil.Flags{})
		if after := f.svc.ScreeningSearches(); after != before {
			t.Fatalf("events that changed no screened field made %d searches", after-before)
		}
		if screeningHit(t, r) == nil {
			t.Fatal("the sanctioned user's unchanged names stopped hitting")
		}

		// A rename to a PEP is screened; PEP feeds the PEP factor.
		r = f.eventReply(t, vigil.Consumer, `{"userId":"u2","timestamp":1700000003000,"updatedConsumerUserAttributes":{"userDetails":{"name":{"firstName":"Maria","middleName":"Dolores","lastName":"Garcia"},"dateOfBirth":"1975-06-01","countryOfNationality":"ES"}}}`, vigil.Flags{})
		meta = screeningHit(t, r)
		if meta == nil {
			t.Fatalf("a rename to a listed PEP did not hit: %v", r["hitRules"])
		}
		if ids := toStrings(sanctionsDetails(t, meta)[0]["sanctionHitIds"]); !slices.Equal(ids, []string{"OPENSANCTIONS:Q123456"}) {
			t.Fatalf("hit ids %v", ids)
		}
		if kyc, _, _, _ := riskOf(t, r); kyc == "VERY_LOW" || kyc == "LOW" {
			t.Errorf("a PEP match leaves the KYC level at %s; the PEP factor's floor is MEDIUM", kyc)
		}

		// A business: its legal name and a director are screened with their entity types.
		r = f.createAs(t, vigil.Business, `{"userId":"b1","createdTimestamp":1700000000000,"legalEntity":{"companyGeneralDetails":{"legalName":"Severnaya Verf JSC"}},"directors":[{"generalDetails":{"name":{"firstName":"Ivan","lastName":"Petrov"},"dateOfBirth":"1961-03-14"}}]}`, vigil.Flags{})
		meta = screeningHit(t, r)
		if meta == nil {
			t.Fatalf("a listed business did not hit: %v", r["hitRules"])
		}
		var types []string
		for _, d := range sanctionsDetails(t, meta) {
			types = append(types, d["entityType"].(string))
		}
		if !slices.Equal(types, []string{"LEGAL_NAME", "DIRECTOR"}) {
			t.Fatalf("entity types %v", types)
		}
	})
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// TestOngoingScreeningAndClearedMatches: a list update screens its new entry against existing
// users and writes the new hit as a SYSTEM write (isOngoingScreeningHit); a cleared match no
// longer hits, not on a later write of the user nor on a re-import, until the entry changes.
func TestOngoingScreeningAndClearedMatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ctx := vigil.WithCaller(context.Background(), &vigil.Caller{Actor: "key:analyst"})
		f.importLists(t, "sdn.csv", "alt.csv", "add.csv")
		if meta := screeningHit(t, f.create(t, `{"userId":"olena","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Olena","lastName":"Kovalenko"},"dateOfBirth":"1980-07-01","countryOfNationality":"UA"}}`, vigil.Flags{})); meta != nil {
			t.Fatalf("hit before the designation: %v", meta)
		}
		f.create(t, `{"userId":"hamid","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Hamid","lastName":"Hammadi"},"dateOfBirth":"1956-01-04"}}`, vigil.Flags{})
		entriesOf := func(userID string) int {
			t.Helper()
			rec, err := f.store.User(ctx, f.tenant.ID, userID)
			if err != nil {
				t.Fatal(err)
			}
			return int(rec.LastSeq)
		}
		hamidSeq := entriesOf("hamid")

		// The designation arrives: only the new entry is screened, and Olena's new hit is a
		// SYSTEM write; Hamid, whose hit is not new, is left alone.
		changes := f.importLists(t, "sdn_v2.csv", "alt.csv", "add.csv")
		if changes[0].Added != 1 || changes[0].Changed != 0 {
			t.Fatalf("changes %+v", changes[0])
		}
		meta := screeningHit(t, f.profile(t, "olena"))
		if meta == nil || meta["isOngoingScreeningHit"] != true {
			t.Fatalf("no ongoing hit after the list update: %v", meta)
		}
		if ids := toStrings(sanctionsDetails(t, meta)[0]["sanctionHitIds"]); !slices.Equal(ids, []string{"OFAC-SDN:99999"}) {
			t.Fatalf("hit ids %v", ids)
		}
		entries, err := f.store.UserEntries(ctx, f.tenant.ID, userUID(t, f, "olena"))
		if err != nil || len(entries) != 2 || entries[1].Type != vigil.EntrySystem {
			t.Fatalf("olena's history: %v %v", entries, err)
		}
		if entriesOf("hamid") != hamidSeq {
			t.Fatal("a user whose hits did not change was written")
		}

		// Cleared as a false positive: the user no longer hits, and the clearing is audited.
		reply, err := f.svc.ClearMatch(ctx, f.tenant, obj(t, `{"userId":"olena","hitId":"OFAC-SDN:99999","reason":"born 1980-07-01 in Lviv, not the designated person"}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := obj(t, string(reply)); got["actor"] != "key:analyst" {
			t.Fatalf("clearing %s", reply)
		}
		if meta := screeningHit(t, f.profile(t, "olena")); meta != nil {
			t.Fatalf("a cleared match still hits: %v", meta)
		}
		// A write that screens the user again, and a re-import of the same list: still cleared.
		r := f.eventReply(t, vigil.Consumer, `{"userId":"olena","timestamp":1700000005000,"updatedConsumerUserAttributes":{"userDetails":{"name":{"firstName":"Olena","lastName":"Kovalenko"},"dateOfBirth":"1980-07-02","countryOfNationality":"UA"}}}`, vigil.Flags{})
		if meta := screeningHit(t, r); meta != nil {
			t.Fatalf("a cleared match hit again on a write: %v", meta)
		}
		f.importLists(t, "sdn_v2.csv", "alt.csv", "add.csv")
		if meta := screeningHit(t, f.profile(t, "olena")); meta != nil {
			t.Fatalf("a cleared match hit again on a re-import: %v", meta)
		}
		// The entry changes: it hits again, as an ongoing hit.
		changes = f.importLists(t, "sdn_v3.csv", "alt.csv", "add.csv")
		if changes[0].Changed != 1 {
			t.Fatalf("changes %+v", changes[0])
		}
		if meta := screeningHit(t, f.profile(t, "olena")); meta == nil || meta["isOngoingScreeningHit"] != true {
			t.Fatalf("a changed entry did not hit again: %v", meta)
		}
		// Bad input is refused, unknown hits and users are 404.
		for body, code := range map[string]vigil.Code{
			`{"userId":"olena","hitId":"OFAC-SDN:99999"}`:                    vigil.CodeInvalid,
			`{"userId":"olena","hitId":"OFAC-SDN:99999","reason":"x","x":1}`: vigil.CodeInvalid,
			`{"userId":"olena","hitId":"OFAC-SDN:nope","reason":"x"}`:        vigil.CodeNotFound,
			`{"userId":"nobody","hitId":"OFAC-SDN:99999","reason":"x"}`:      vigil.CodeNotFound,
		} {
			if _, err := f.svc.ClearMatch(ctx, f.tenant, obj(t, body)); codeOf(err) != code {
				t.Errorf("%s: %v, want code %d", body, err, code)
			}
		}
	})
}

func userUID(t *testing.T, f *fixture, userID string) string {
	t.Helper()
	rec, err := f.store.User(context.Background(), f.tenant.ID, userID)
	if err != nil {
		t.Fatal(err)
	}
	return rec.UID
}

// TestScreeningIsComputedBeforeTheWriter: the screening of a create, a rename, a batch record
// and a list change's SYSTEM write (a search reads the clock, as the rest of an outcome does)
// is made outside the store's writer, which on SQLite every tenant shares.
func TestScreeningIsComputedBeforeTheWriter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		watch := &writerWatch{Store: b.Open(t)}
		var inWriter atomic.Int32
		clock := func() time.Time {
			if watch.writing.Load() > 0 {
				inWriter.Add(1)
			}
			return time.UnixMilli(fixedNow)
		}
		f := newFixtureWith(t, watch, vigil.Options{Now: clock})
		f.importLists(t, "sdn.csv", "alt.csv", "add.csv")
		ctx := context.Background()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			keys, err := watch.Keys(ctx, f.tenant.ID)
			if err == nil && len(keys) == 1 && keys[0].LastUsedAt != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the fixture key's last use was never recorded: %v, %v", keys, err)
			}
		}
		searches := f.svc.ScreeningSearches()
		inWriter.Store(0)
		for _, step := range []struct {
			name string
			do   func() error
		}{
			{"a create that matches", func() error {
				_, err := f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"w-1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Hamid","lastName":"Hammadi"},"dateOfBirth":"1956-01-04"}}`), vigil.Flags{})
				return err
			}},
			{"a rename", func() error {
				_, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"w-1","timestamp":1700000100000,"updatedConsumerUserAttributes":{"userDetails":{"name":{"firstName":"Olena","lastName":"Kovalenko"},"dateOfBirth":"1980-07-01"}}}`), vigil.Flags{})
				return err
			}},
			{"a batch record that matches", func() error {
				_, err := f.svc.Batch(ctx, f.tenant, vigil.BatchConsumerUsers, obj(t, `{"batchId":"bw","data":[{"userId":"w-2","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ivan","lastName":"Petrov"},"dateOfBirth":"1961-01-01"}}]}`), vigil.Flags{})
				return err
			}},
			{"a list change's SYSTEM write", func() error {
				_, err := f.svc.ImportLists(ctx, open(t, "sdn_v2.csv"), open(t, "alt.csv"), open(t, "add.csv"))
				return err
			}},
		} {
			if err := step.do(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			if n := inWriter.Swap(0); n != 0 {
				t.Errorf("%s: computed in the store's writer (%d clock reads there)", step.name, n)
			}
		}
		if meta := screeningHit(t, f.profile(t, "w-1")); meta == nil || meta["isOngoingScreeningHit"] != true {
			t.Fatalf("the renamed user's ongoing hit: %v", meta)
		}
		if n := f.svc.ScreeningSearches() - searches; n < 4 {
			t.Fatalf("%d searches; the steps screen at least four names", n)
		}
	})
}

func open(t *testing.T, name string) io.Reader {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "lists", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(b))
}

// TestErasureTakesScreeningData: erasing a user deletes its stored searches (they hold its
// names) and its cleared matches.
func TestErasureTakesScreeningData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ctx := context.Background()
		f.importLists(t, "sdn.csv", "alt.csv", "add.csv")
		reply := f.create(t, `{"userId":"e-1","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Hamid","lastName":"Hammadi"},"dateOfBirth":"1956-01-04"}}`, vigil.Flags{})
		searchID := sanctionsDetails(t, screeningHit(t, reply))[0]["searchId"].(string)
		if _, err := f.svc.ClearMatch(ctx, f.tenant, obj(t, `{"userId":"e-1","hitId":"OFAC-SDN:2674","reason":"not him"}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.EraseUser(ctx, f.tenant, vigil.Consumer, "e-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.ScreeningSearch(ctx, f.tenant.ID, searchID); !errors.Is(err, vigil.ErrNotFound) {
			t.Fatalf("the erased user's search: %v", err)
		}
		if cs, err := f.store.ScreeningClearings(ctx, f.tenant.ID, "e-1"); err != nil || len(cs) != 0 {
			t.Fatalf("the erased user's clearings: %v %v", cs, err)
		}
	})
}
