package screening

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Synthetic names for the evaluation set and the benchmarks: real first names and surnames
// of several origins, and pseudo-names built from syllables so that a million distinct
// entries can be generated. Nothing here is a real designation.

var westernFirst = strings.Fields("john james robert michael william david richard joseph thomas charles " +
	"christopher daniel matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george " +
	"edward ronald timothy jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott " +
	"mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa betty margaret " +
	"sandra ashley kimberly emily donna michelle dorothy carol amanda melissa deborah stephanie rebecca " +
	"laura sharon cynthia kathleen amy angela helen anna brenda pamela nicole samantha katherine christine " +
	"maria jose carlos juan luis pierre jean francois hans klaus giovanni marco")

var westernLast = strings.Fields("smith johnson williams brown jones garcia miller davis rodriguez martinez " +
	"hernandez lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white " +
	"harris sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill " +
	"flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips evans " +
	"turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez " +
	"ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks " +
	"chavez wood bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross " +
	"foster jimenez mueller schneider fischer weber becker dubois moreau rossi ferrari")

var russianFirst = strings.Fields("vladimir sergei ivan dmitri aleksei nikolai mikhail andrei oleg yuri " +
	"boris pavel igor viktor gennady anatoly yevgeny konstantin roman arkady vitaly leonid stanislav " +
	"olga tatyana natalya yelena irina svetlana lyudmila galina marina anastasia")

var russianLast = strings.Fields("ivanov petrov sidorov smirnov kuznetsov popov volkov sokolov lebedev " +
	"kozlov novikov morozov orlov belov zakharov fedorov vasiliev pavlov semenov golubev vinogradov " +
	"bogdanov vorobyov mikhailov tarasov belousov komarov zhukov kovalenko shevchenko bondarenko " +
	"tkachenko kravchenko oliynyk melnyk rudenko gusev titov kiselev makarov andreev nikitin")

// arabicNameVariants pairs an Arabic spelling with the Latin spellings the lists use.
var arabicNameVariants = []struct {
	script string
	latin  []string
}{
	{"محمد", []string{"muhammad", "mohammed", "mohamed", "muhammed"}},
	{"احمد", []string{"ahmad", "ahmed"}},
	{"علي", []string{"ali"}},
	{"حسن", []string{"hasan", "hassan"}},
	{"حسين", []string{"husayn", "hussein", "hussain", "husein"}},
	{"يوسف", []string{"yusuf", "youssef", "yousef"}},
	{"خالد", []string{"khalid", "khaled"}},
	{"عمر", []string{"umar", "omar"}},
	{"ابراهيم", []string{"ibrahim", "ebrahim"}},
	{"مصطفى", []string{"mustafa", "mostafa"}},
	{"سعيد", []string{"said", "saeed", "saied"}},
	{"كريم", []string{"karim", "kareem"}},
	{"عثمان", []string{"uthman", "othman", "osman"}},
	{"جمال", []string{"jamal", "gamal"}},
	{"ناصر", []string{"nasir", "nasser"}},
	{"سليمان", []string{"sulayman", "suleiman", "sulaiman"}},
	{"قاسم", []string{"qasim", "kassem", "qassem"}},
	{"حمزة", []string{"hamza", "hamzah"}},
	{"طارق", []string{"tariq", "tarek"}},
	{"هشام", []string{"hisham", "hesham"}},
	{"عباس", []string{"abbas"}},
	{"صالح", []string{"salih", "saleh"}},
	{"فيصل", []string{"faysal", "faisal"}},
	{"منصور", []string{"mansur", "mansour"}},
	{"رشيد", []string{"rashid", "rasheed"}},
	{"ماجد", []string{"majid", "majed"}},
	{"وليد", []string{"walid", "waleed"}},
	{"زياد", []string{"ziyad", "ziad"}},
	{"جعفر", []string{"jafar", "jaafar"}},
	{"موسى", []string{"musa", "mousa"}},
}

// latinToCyrillic writes a BGN/PCGN-style romanised Russian name back in Cyrillic.
var latinToCyrillic = strings.NewReplacer("shch", "щ", "zh", "ж", "kh", "х", "ts", "ц", "ch", "ч",
	"sh", "ш", "yu", "ю", "ya", "я", "ye", "е", "yo", "ё", "a", "а", "b", "б", "v", "в", "g", "г",
	"d", "д", "e", "е", "z", "з", "i", "и", "y", "й", "k", "к", "l", "л", "m", "м", "n", "н",
	"o", "о", "p", "п", "r", "р", "s", "с", "t", "т", "u", "у", "f", "ф")

// latinToArabic writes a pseudo-name in Arabic letters as a romanisation would read them:
// long vowels as letters, e and the short vowels a, o dropped.
var latinToArabic = strings.NewReplacer("sh", "ش", "kh", "خ", "th", "ث", "ph", "ف", "b", "ب",
	"t", "ت", "j", "ج", "h", "ه", "d", "د", "r", "ر", "z", "ز", "s", "س", "f", "ف", "q", "ق",
	"k", "ك", "c", "ك", "l", "ل", "m", "م", "n", "ن", "w", "و", "y", "ي", "g", "غ", "v", "ف",
	"p", "ب", "x", "كس", "i", "ي", "u", "و", "a", "ا", "o", "", "e", "")

var syllables = strings.Fields("ka ri mo len da sho vi tar bel no ra zu fen gil ho ma tes qui lor pa " +
	"dun sel ar ven ko bri mal ta ne jo ru sa wen ly ced pho gar lin dor")

var orgWords = strings.Fields("global eastern northern united atlas orion delta horizon summit vector " +
	"pinnacle crescent falcon meridian apex zenith cobalt granite harbor silk caspian baltic nordic " +
	"aurora polar titan phoenix sterling vanguard")

var orgTrades = strings.Fields("shipping trading petroleum industries logistics metals energy holdings " +
	"finance marine aviation chemicals mining systems technologies construction resources")

var orgSuffixes = []string{"LLC", "Ltd", "Limited", "GmbH", "OOO", "JSC", "PJSC", "SA", "AG", "Co", "Inc", "FZE"}

var countryPool = []string{"ru", "ir", "sy", "kp", "iq", "af", "ye", "ly", "by", "ve", "cu", "mm", "gb", "us", "de", "fr", "ae", "tr", "cn", "lb"}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func pseudoName(r *rand.Rand, minSyl, maxSyl int) string {
	n := minSyl + r.IntN(maxSyl-minSyl+1)
	var b strings.Builder
	for range n {
		b.WriteString(pick(r, syllables))
	}
	return b.String()
}

func title(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if w != "" && w[0] >= 'a' && w[0] <= 'z' {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// syntheticEntry builds one listed subject. origin selects the name pool: 0 western, 1
// Russian, 2 Arabic, 3 pseudo-names, 4 organisation.
func syntheticEntry(r *rand.Rand, id string, origin int) Entry {
	e := Entry{ID: id, Source: "SYNTHETIC", Kind: KindPerson, Sanctioned: true, Programmes: []string{"SYN-" + fmt.Sprint(r.IntN(8))}}
	var parts []string
	switch origin {
	case 0:
		parts = []string{pick(r, westernFirst), pick(r, westernLast)}
		if r.IntN(3) == 0 {
			parts = []string{parts[0], pick(r, westernFirst), parts[1]}
		}
	case 1:
		f := pick(r, russianFirst)
		parts = []string{f, pick(r, russianFirst) + "ovich", pick(r, russianLast)}
		if r.IntN(3) == 0 {
			parts = []string{f, parts[2]}
		}
	case 2:
		parts = []string{pick(r, arabicNameVariants).latin[0], pick(r, arabicNameVariants).latin[0], pseudoName(r, 2, 3)}
		if r.IntN(2) == 0 {
			parts = []string{parts[0], parts[2]}
		}
	case 3:
		parts = []string{pseudoName(r, 2, 3), pseudoName(r, 2, 4)}
		if r.IntN(4) == 0 {
			parts = append([]string{parts[0], pseudoName(r, 2, 3)}, parts[1])
		}
	default:
		e.Kind = KindOrganisation
		e.Name = title(pick(r, orgWords)+" "+pseudoName(r, 2, 3)+" "+pick(r, orgTrades)) + " " + pick(r, orgSuffixes)
		e.Countries = []string{pick(r, countryPool)}
		if r.IntN(2) == 0 {
			e.Aliases = []string{title(pseudoName(r, 2, 3) + " " + pick(r, orgTrades))}
		}
		return e
	}
	e.Name = title(strings.Join(parts, " "))
	if r.IntN(10) < 9 {
		e.BirthDates = []Date{{Year: 1940 + r.IntN(60), Month: 1 + r.IntN(12), Day: 1 + r.IntN(28)}}
	}
	e.Nationalities = []string{pick(r, countryPool)}
	if r.IntN(3) == 0 {
		e.Aliases = []string{title(parts[len(parts)-1] + " " + pseudoName(r, 2, 3))}
	}
	return e
}

// GenerateEntries calls fn with n synthetic list entries, the same ones for the same seed:
// a tenth each of people of western, Russian and Arabic names, half people of pseudo-names
// (the diversity of a real million-entry list) and a fifth organisations.
func GenerateEntries(seed uint64, n int, fn func(Entry)) {
	r := rand.New(rand.NewPCG(seed, 1))
	origins := []int{0, 1, 2, 3, 3, 3, 3, 3, 4, 4}
	for i := range n {
		fn(syntheticEntry(r, fmt.Sprintf("S%07d", i), pick(r, origins)))
	}
}
