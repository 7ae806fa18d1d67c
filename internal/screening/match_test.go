package screening

import (
	"testing"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		want string
	}{
		{"Владимир Владимирович ПУТИН", KindPerson, "vladimir vladimirovich putin"},
		{"José  María  AZNAR-López", KindPerson, "jose maria aznar lopez"},
		{"Mr. John O'Brien", KindPerson, "john obrien"},
		{"Sheikh Haji Abdul Rahman", KindPerson, "abdul rahman"},
		{"Rosneft Oil Company PJSC", KindOrganisation, "rosneft oil"},
		{"OOO Romashka", KindOrganisation, "romashka"},
		{"Γιώργος Παπαδόπουλος", KindPerson, "giorgos papadopoulos"},
		{"محمد بن سلمان", KindPerson, "muhammad slman"},
		{"Straße Øresund Łódź", KindUnknown, "strasse oresund lodz"},
		{"Ltd", KindOrganisation, "ltd"},
		{"Al-Qaida", KindOrganisation, "qaida"},
	}
	for _, tt := range tests {
		if got := NormalizeName(tt.in, tt.kind); got != tt.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSkeleton(t *testing.T) {
	for _, group := range [][]string{
		{"muhammad", "mohammed", "mohamed", "muhammed", "mhmd"},
		{"yusuf", "youssef", "yousef", "jusuf"},
		{"umar", "omar"},
		{"husayn", "hussein", "husein"},
	} {
		want := skeleton(group[0])
		for _, w := range group[1:] {
			if got := skeleton(w); got != want {
				t.Errorf("skeleton(%q) = %q, skeleton(%q) = %q", w, got, group[0], want)
			}
		}
	}
}

func TestJaroWinkler(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.961},
		{"dwayne", "duane", 0.840},
		{"dixon", "dicksonx", 0.813},
		{"abc", "abc", 1},
		{"abc", "xyz", 0},
		{"", "abc", 0},
	}
	for _, tt := range tests {
		if got := round3(jaroWinkler(tt.a, tt.b)); got != tt.want {
			t.Errorf("jaroWinkler(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestScore(t *testing.T) {
	putin := &Entry{ID: "1", Source: SourceOFAC, Kind: KindPerson, Name: "PUTIN, Vladimir Vladimirovich",
		BirthDates: []Date{{Year: 1952, Month: 10, Day: 7}}, Nationalities: []string{"ru"}}
	mbs := &Entry{ID: "2", Kind: KindPerson, Name: "Mohammed bin Salman Al Saud", Nationalities: []string{"sa"}}
	smith := &Entry{ID: "3", Kind: KindPerson, Name: "John Michael Smith", BirthDates: []Date{{Year: 1970}}}
	rosneft := &Entry{ID: "4", Kind: KindOrganisation, Name: "Rosneft Oil Company", Aliases: []string{"OAO NK Rosneft"}}
	tests := []struct {
		name    string
		q       Query
		e       *Entry
		atLeast float64
		below   float64
	}{
		{"cyrillic", Query{Name: "Владимир Путин"}, putin, 0.9, 1.01},
		{"order and birth date", Query{Name: "Vladimir Putin", BirthDate: Date{Year: 1952, Month: 10, Day: 7}, Nationalities: []string{"Russia"}}, putin, 0.99, 1.01},
		{"other year of birth", Query{Name: "Vladimir Putin", BirthDate: Date{Year: 1980}}, putin, 0, 0.86},
		{"arabic script", Query{Name: "محمد بن سلمان آل سعود"}, mbs, 0.86, 1.01},
		{"spelling variant", Query{Name: "Muhammad Bin Salman"}, mbs, 0.86, 1.01},
		{"initial", Query{Name: "J. Smith", BirthDate: Date{Year: 1971}}, smith, 0.86, 1.01},
		{"different surname", Query{Name: "John Smithson"}, smith, 0, 0.86},
		{"different first name", Query{Name: "Peter Smith"}, smith, 0, 0.86},
		{"company suffix", Query{Name: "PAO NK Rosneft", Kind: KindOrganisation}, rosneft, 0.9, 1.01},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := Score(tt.q, tt.e)
			if !ok {
				t.Fatal("not compared")
			}
			if m.Score < tt.atLeast || m.Score >= tt.below {
				t.Errorf("score %v, want in [%v, %v): %+v", m.Score, tt.atLeast, tt.below, m)
			}
			if len(m.Pairs) == 0 || m.MatchedName == "" {
				t.Errorf("no explanation: %+v", m)
			}
		})
	}
	if _, ok := Score(Query{Name: "Rosneft", Kind: KindPerson}, rosneft); ok {
		t.Error("a person was compared with a company")
	}
}
