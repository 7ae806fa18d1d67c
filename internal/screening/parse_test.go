package screening

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func open(t testing.TB, name string) io.Reader {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func collect(t *testing.T, files ...string) ([]Header, map[string]Entry) {
	t.Helper()
	var rs []io.Reader
	for _, f := range files {
		rs = append(rs, open(t, f))
	}
	got := map[string]Entry{}
	hs, err := ParseFiles(func(e Entry) error {
		if _, dup := got[e.ID]; dup {
			t.Errorf("entry %s emitted twice", e.ID)
		}
		got[e.ID] = e
		return nil
	}, rs...)
	if err != nil {
		t.Fatal(err)
	}
	return hs, got
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		files     []string
		format    Format
		published string
		entries   int
		id        string
		check     func(t *testing.T, e Entry)
	}{
		{[]string{"alt.csv", "sdn.csv", "add.csv"}, FormatOFACCSV, "", 5, "6365", func(t *testing.T, e Entry) {
			wantEntry(t, e, KindPerson, "Ivan Sergeyevich PETROV", []string{"Ivan PETROFF", "Иван Сергеевич ПЕТРОВ"}, "1961~,1962,1963")
			if !slices.Equal(e.Programmes, []string{"RUSSIA-EO14024", "UKRAINE-EO13660"}) || !slices.Equal(e.Nationalities, []string{"ru"}) || !slices.Equal(e.Countries, []string{"ru"}) {
				t.Errorf("programmes %v nationalities %v countries %v", e.Programmes, e.Nationalities, e.Countries)
			}
		}},
		{[]string{"sdn.xml"}, FormatOFACXML, "2024-11-29", 3, "2674", func(t *testing.T, e Entry) {
			wantEntry(t, e, KindPerson, "Hamid Rashid HAMMADI", []string{"Hamid AL-HAMMADI"}, "1956-01-04")
			if !slices.Equal(e.Nationalities, []string{"iq"}) || !e.Sanctioned {
				t.Errorf("nationalities %v sanctioned %v", e.Nationalities, e.Sanctioned)
			}
		}},
		{[]string{"eu.xml"}, FormatEUXML, "2024-11-28", 2, "139012", func(t *testing.T, e Entry) {
			wantEntry(t, e, KindPerson, "Ivan Sergeyevich Petrov", []string{"Иван Сергеевич Петров"}, "1961-03-14")
			if !slices.Equal(e.Programmes, []string{"UKR"}) || e.Listed != "2022-02-25" || !slices.Equal(e.Nationalities, []string{"ru"}) {
				t.Errorf("programmes %v listed %q nationalities %v", e.Programmes, e.Listed, e.Nationalities)
			}
		}},
		{[]string{"un.xml"}, FormatUNXML, "2024-11-27", 2, "QDi.901", func(t *testing.T, e Entry) {
			wantEntry(t, e, KindPerson, "ABDUL RAHMAN YASIN", []string{"Abdul Rahman Said Yasin", "Aboud Yasin", "عبد الرحمن ياسين"}, "1960-04-10,1961~,1962~")
			if e.Listed != "2003-10-06" || e.Modified != "2019-04-12" || !slices.Equal(e.Programmes, []string{"Al-Qaida"}) {
				t.Errorf("listed %q modified %q programmes %v", e.Listed, e.Modified, e.Programmes)
			}
		}},
		{[]string{"uk.csv"}, FormatUKCSV, "2024-11-15", 3, "12650", func(t *testing.T, e Entry) {
			wantEntry(t, e, KindPerson, "Yusuf KHALID", nil, "1970")
			if !slices.Equal(e.Nationalities, []string{"sy", "lb"}) || e.Listed != "2012-05-10" {
				t.Errorf("nationalities %v listed %q", e.Nationalities, e.Listed)
			}
		}},
		{[]string{"opensanctions.jsonl"}, FormatOpenSanctions, "2024-10-02", 3, "Q123456", func(t *testing.T, e Entry) {
			wantEntry(t, e, KindPerson, "Maria Dolores Garcia", nil, "1975")
			if !e.PEP || e.Sanctioned || !slices.Equal(e.Nationalities, []string{"es"}) {
				t.Errorf("pep %v sanctioned %v nationalities %v", e.PEP, e.Sanctioned, e.Nationalities)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			hs, got := collect(t, tt.files...)
			if len(hs) != 1 || hs[0].Format != tt.format || (tt.published != "" && hs[0].Published != tt.published) {
				t.Errorf("headers %+v, want format %s published %s", hs, tt.format, tt.published)
			}
			if len(got) != tt.entries {
				t.Errorf("%d entries, want %d", len(got), tt.entries)
			}
			e, ok := got[tt.id]
			if !ok {
				t.Fatalf("no entry %s among %v", tt.id, slices.Collect(mapsKeys(got)))
			}
			tt.check(t, e)
		})
	}
}

func mapsKeys(m map[string]Entry) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func wantEntry(t *testing.T, e Entry, kind Kind, name string, aliases []string, births string) {
	t.Helper()
	var bs []string
	for _, d := range e.BirthDates {
		s := d.String()
		if d.Circa {
			s += "~"
		}
		bs = append(bs, s)
	}
	if e.Kind != kind || e.Name != name || !slices.Equal(e.Aliases, aliases) || strings.Join(bs, ",") != births {
		t.Errorf("got kind %s name %q aliases %q births %q; want %s %q %q %q", e.Kind, e.Name, e.Aliases, strings.Join(bs, ","), kind, name, aliases, births)
	}
}

func TestParseRefusesMalformedFiles(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"empty", "", "the file is empty"},
		{"unknown XML", `<?xml version="1.0"?><rss></rss>`, "XML root element <rss>"},
		{"truncated OFAC XML", "<sdnList>\n<sdnEntry><uid>1</uid><lastName>X</lastName>\n", "ofac-sdn-xml: line 2: sdnEntry: XML syntax error on line 3"},
		{"OFAC XML entry without a name", "<sdnList>\n<sdnEntry><uid>7</uid></sdnEntry></sdnList>", "ofac-sdn-xml: line 2: sdnEntry: entry 7 has no name"},
		{"EU entity without an id", "<export>\n<sanctionEntity><nameAlias wholeName=\"A\"/></sanctionEntity></export>", "eu-fsf-xml: line 2: sanctionEntity: entry without an identifier"},
		{"UN bad nesting", "<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL><DATAID>1</DATAID></ENTITY></INDIVIDUALS></CONSOLIDATED_LIST>", "un-sc-xml: line 2"},
		{"UK without header", "Last Updated,01/01/2024\n", "uk-sanctions-csv: no header row"},
		{"UK without group id", "Name 6,Group Type,Group ID\nSMITH,Individual,\n", "uk-sanctions-csv: line 2: row without a Group ID"},
		{"OFAC CSV short row", "1,\"A\",-0- ,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n2,\"B\"\n", "ofac-sdn-csv: line 2: sdn.csv: 2 fields, want 12"},
		{"OFAC alt alone", "1,2,\"aka\",\"B\",-0- \n", "parse the set together"},
		{"bad JSON line", "{\"id\":\"a\",\"schema\":\"Person\",\"properties\":{\"name\":[\"A\"]}}\n{\"id\":\n", "opensanctions-ftm-jsonl: line 2"},
		{"plain text", "hello world\n", "unrecognised list format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.file), func(Entry) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseStopsOnCallbackError(t *testing.T) {
	stop := errors.New("enough")
	for _, f := range []string{"sdn.csv", "sdn.xml", "eu.xml", "un.xml", "uk.csv", "opensanctions.jsonl"} {
		n := 0
		_, err := Parse(open(t, f), func(Entry) error { n++; return stop })
		if err != stop || n != 1 {
			t.Errorf("%s: error %v after %d entries, want the callback's own error after 1", f, err, n)
		}
	}
}

func TestDigestAndDiff(t *testing.T) {
	_, v1 := collect(t, "eu.xml")
	prev := map[string]Digest{}
	var next []Entry
	for id, e := range v1 {
		prev[id] = e.Digest()
		if id == "139500" {
			continue // removed in the next version
		}
		next = append(next, e)
	}
	same := next[0]
	same.Aliases = slices.Clone(same.Aliases)
	slices.Reverse(same.Aliases)
	if same.Digest() != prev[same.ID] {
		t.Error("reordering aliases changed the digest")
	}
	changed := next[0]
	changed.BirthDates = append(slices.Clone(changed.BirthDates), Date{Year: 1962})
	next[0] = changed
	next = append(next, Entry{ID: "new-1", Source: SourceEU, Name: "New Person"})
	d := Diff(prev, next)
	if len(d.Added) != 1 || d.Added[0].ID != "new-1" || len(d.Changed) != 1 || d.Changed[0].ID != "139012" || !slices.Equal(d.Removed, []string{"139500"}) {
		t.Errorf("diff %+v", d)
	}
}

func fuzzParser(f *testing.F, parse func(io.Reader, func(Entry) error) (Header, error), seeds ...string) {
	for _, s := range seeds {
		b, err := os.ReadFile(filepath.Join("testdata", s))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parse(strings.NewReader(string(data)), func(e Entry) error {
			if e.ID == "" || e.Name == "" {
				t.Errorf("entry without id or name: %+v", e)
			}
			return nil
		})
	})
}

func FuzzParse(f *testing.F) {
	fuzzParser(f, Parse, "sdn.csv", "sdn.xml", "eu.xml", "un.xml", "uk.csv", "opensanctions.jsonl")
}

func FuzzOFACCSV(f *testing.F) {
	fuzzParser(f, func(r io.Reader, fn func(Entry) error) (Header, error) {
		alt, _ := os.ReadFile("testdata/alt.csv")
		add, _ := os.ReadFile("testdata/add.csv")
		return parseOFACCSV(r, strings.NewReader(string(alt)), strings.NewReader(string(add)), fn)
	}, "sdn.csv")
}

func FuzzOFACXML(f *testing.F)       { fuzzParser(f, parseOFACXML, "sdn.xml") }
func FuzzEUXML(f *testing.F)         { fuzzParser(f, parseEUXML, "eu.xml") }
func FuzzUNXML(f *testing.F)         { fuzzParser(f, parseUNXML, "un.xml") }
func FuzzUKCSV(f *testing.F)         { fuzzParser(f, parseUKCSV, "uk.csv") }
func FuzzOpenSanctions(f *testing.F) { fuzzParser(f, parseFTM, "opensanctions.jsonl") }
