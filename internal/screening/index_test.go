package screening

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"
)

func testIndex(t *testing.T) *Index {
	t.Helper()
	ix := NewIndex()
	_, err := ParseFiles(func(e Entry) error { ix.Put(e); return nil },
		open(t, "sdn.csv"), open(t, "alt.csv"), open(t, "add.csv"), open(t, "eu.xml"), open(t, "un.xml"),
		open(t, "uk.csv"), open(t, "opensanctions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func hitIDs(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, HitID(m))
	}
	slices.Sort(out)
	return out
}

func TestIndexSearch(t *testing.T) {
	ix := testIndex(t)
	if ix.Len() != 15 {
		t.Fatalf("%d entries, want 15", ix.Len())
	}
	tests := []struct {
		q    Query
		want []string
	}{
		{Query{Name: "Иван Петров", Kind: KindPerson, BirthDate: Date{Year: 1961, Month: 3, Day: 14}},
			[]string{"EU-FSF:139012", "OFAC-SDN:6365", "OPENSANCTIONS:Q7747", "UK-SANCTIONS:14801"}},
		{Query{Name: "Abdulrahman Yasin", Kind: KindPerson}, []string{"UN-SC:QDi.901"}},
		{Query{Name: "عبد الرحمن ياسين"}, []string{"UN-SC:QDi.901"}},
		{Query{Name: "Sheikh Youssef Khaled", BirthDate: Date{Year: 1971}}, []string{"UK-SANCTIONS:12650"}},
		{Query{Name: "Sheikh Youssef Khaled", BirthDate: Date{Year: 1990}}, nil},
		{Query{Name: "Severnaya Verf OOO", Kind: KindOrganisation}, []string{"EU-FSF:139500", "OPENSANCTIONS:NK-abc", "UK-SANCTIONS:15002"}},
		{Query{Name: "Severnaya Verf", Kind: KindPerson}, nil},
		{Query{Name: "Maria Garcia", Nationalities: []string{"Spain"}}, []string{"OPENSANCTIONS:Q123456"}},
		{Query{Name: "Peter Jones"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.q.Name, func(t *testing.T) {
			ms := ix.Search(tt.q, SearchOptions{})
			if got := hitIDs(ms); !slices.Equal(got, tt.want) {
				for _, m := range ms {
					t.Logf("%s %.3f %v %v", HitID(m), m.Score, m.Pairs, m.Evidence)
				}
				t.Errorf("hits %v, want %v", got, tt.want)
			}
			for _, m := range ms {
				if m.MatchedName == "" || len(m.Pairs) == 0 || m.Score < DefaultThreshold {
					t.Errorf("unexplained match %+v", m)
				}
			}
		})
	}
}

func TestIndexIncrementalUpdates(t *testing.T) {
	ix := testIndex(t)
	q := Query{Name: "Hamid Rashid Hammadi"}
	if got := hitIDs(ix.Search(q, SearchOptions{})); !slices.Equal(got, []string{"OFAC-SDN:2674"}) {
		t.Fatalf("before: %v", got)
	}
	e, _ := ix.Get(SourceOFAC, "2674")
	e.Name, e.Aliases = "Karim Tahir Mansur", nil
	ix.Put(e)
	if got := hitIDs(ix.Search(q, SearchOptions{})); got != nil {
		t.Errorf("the replaced name still matches: %v", got)
	}
	if got := hitIDs(ix.Search(Query{Name: "Karim Tahir Mansour"}, SearchOptions{})); !slices.Equal(got, []string{"OFAC-SDN:2674"}) {
		t.Errorf("the new name does not match: %v", got)
	}
	ix.Apply(SourceOFAC, Delta{Removed: []string{"2674"}, Added: []Entry{{ID: "9", Source: SourceOFAC, Kind: KindPerson, Name: "Hamid Rashid Hammadi"}}})
	if got := hitIDs(ix.Search(q, SearchOptions{})); !slices.Equal(got, []string{"OFAC-SDN:9"}) {
		t.Errorf("after the delta: %v", got)
	}
	if ix.Remove(SourceOFAC, "2674") || ix.Len() != 15 {
		t.Errorf("removed twice or wrong length %d", ix.Len())
	}
	for _, l := range ix.postings {
		for _, s := range l {
			if !ix.slots[s].live {
				t.Fatal("a posting points at a removed slot")
			}
		}
	}
}

func TestScreenEntriesAndDetails(t *testing.T) {
	users := map[string]Subject{
		"u1": {UserID: "u1", EntityType: EntityConsumerName, Query: Query{Name: "Ivan Petrov", Kind: KindPerson, BirthDate: Date{Year: 1961}}},
		"u2": {UserID: "u2", EntityType: EntityConsumerName, Query: Query{Name: "Jane Doe", Kind: KindPerson}},
		"u3": {UserID: "u3", EntityType: EntityDirector, Query: Query{Name: "Yusuf Khalid", Kind: KindPerson}},
	}
	var delta []Entry
	if _, err := Parse(open(t, "uk.csv"), func(e Entry) error { delta = append(delta, e); return nil }); err != nil {
		t.Fatal(err)
	}
	got := map[string][]Match{}
	err := ScreenEntries(delta, maps.Values(users), SearchOptions{}, func(m SubjectMatch) error {
		got[m.Subject.UserID] = append(got[m.Subject.UserID], m.Match)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got["u1"]) != 1 || len(got["u3"]) != 1 {
		t.Fatalf("matches %v", got)
	}
	d := Details("search-1", "R-U-99", users["u1"], got["u1"])
	b, _ := json.Marshal(d)
	want := `{"name":"Ivan Petrov","searchId":"search-1","entityType":"CONSUMER_NAME","sanctionHitIds":["UK-SANCTIONS:14801"],"hitContext":{"entity":"USER","entityType":"CONSUMER_NAME","userId":"u1","ruleId":"R-U-99","yearOfBirth":1961,"searchTerm":"Ivan Petrov"}}`
	if string(b) != want {
		t.Errorf("details\n%s\nwant\n%s", b, want)
	}
	if s, p := Classify(got["u1"]); !s || p {
		t.Errorf("classify: sanctioned %v pep %v", s, p)
	}
	stop := errors.New("stop")
	err = ScreenEntries(delta, maps.Values(users), SearchOptions{}, func(SubjectMatch) error { return stop })
	if err != stop {
		t.Errorf("error %v, want the callback's", err)
	}
}
