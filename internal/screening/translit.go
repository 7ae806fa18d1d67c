package screening

import "strings"

// The transliteration tables aim at the romanisations the lists themselves use: BGN/PCGN-like
// for Cyrillic (as OFAC, the EU and the UN spell Russian and Ukrainian names), ELOT-like for
// Greek, and for Arabic the consonants of each letter plus a table of frequent names whose
// customary Latin spelling the script alone does not give (Arabic omits short vowels).

var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh",
	'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o",
	'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts",
	'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu",
	'я': "ya", 'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g", 'ў': "u", 'ј': "j", 'љ': "lj",
	'њ': "nj", 'ћ': "c", 'ђ': "dj", 'џ': "dz", 'ѕ': "dz",
}

var greek = map[rune]string{
	'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i", 'θ': "th",
	'ι': "i", 'κ': "k", 'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x", 'ο': "o", 'π': "p",
	'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t", 'υ': "y", 'φ': "f", 'χ': "ch", 'ψ': "ps",
	'ω': "o",
}

// greekDigraphs are read before single letters.
var greekDigraphs = map[string]string{"ου": "ou", "αι": "ai", "ει": "ei", "οι": "oi", "μπ": "b", "ντ": "d", "γκ": "g", "γγ": "ng"}

var arabic = map[rune]string{
	'ا': "a", 'أ': "a", 'إ': "i", 'آ': "a", 'ٱ': "a", 'ء': "", 'ؤ': "u", 'ئ': "i",
	'ب': "b", 'ت': "t", 'ث': "th", 'ج': "j", 'ح': "h", 'خ': "kh", 'د': "d", 'ذ': "dh",
	'ر': "r", 'ز': "z", 'س': "s", 'ش': "sh", 'ص': "s", 'ض': "d", 'ط': "t", 'ظ': "z",
	'ع': "", 'غ': "gh", 'ف': "f", 'ق': "q", 'ك': "k", 'ل': "l", 'م': "m", 'ن': "n",
	'ه': "h", 'ة': "a", 'و': "w", 'ي': "y", 'ى': "a", 'پ': "p", 'چ': "ch", 'ژ': "zh",
	'گ': "g", 'ک': "k", 'ی': "y",
}

// arabicNames gives the customary spelling of frequent name words; others fall back to the
// letters, and are then compared by consonant skeleton (see tokenSimilarity).
var arabicNames = map[string]string{
	"محمد": "muhammad", "احمد": "ahmad", "أحمد": "ahmad", "محمود": "mahmud", "علي": "ali",
	"حسن": "hasan", "حسين": "husayn", "عبد": "abd", "الله": "allah", "عبدالله": "abdullah",
	"يوسف": "yusuf", "خالد": "khalid", "عمر": "umar", "ابراهيم": "ibrahim", "إبراهيم": "ibrahim",
	"مصطفى": "mustafa", "سعيد": "said", "كريم": "karim", "عثمان": "uthman", "اسامة": "usama",
	"أسامة": "usama", "بن": "bin", "لادن": "ladin", "صدام": "saddam", "فاطمة": "fatima",
	"عائشة": "aisha", "مريم": "maryam", "زينب": "zaynab", "جمال": "jamal", "ناصر": "nasir",
	"سليمان": "sulayman", "عيسى": "isa", "موسى": "musa", "جعفر": "jafar", "رحمن": "rahman",
	"الرحمن": "alrahman", "قاسم": "qasim", "حمزة": "hamza", "طارق": "tariq", "هشام": "hisham",
	"بشار": "bashar", "الأسد": "alasad", "الاسد": "alasad", "اسد": "asad", "عباس": "abbas",
	"صالح": "salih", "فيصل": "faysal", "منصور": "mansur", "نور": "nur", "أمين": "amin",
	"امين": "amin", "رشيد": "rashid", "ماجد": "majid", "وليد": "walid", "زياد": "ziyad",
}

// scriptOf tells which transliteration a rune needs.
func isCyrillic(r rune) bool { return r >= 0x0400 && r <= 0x052F }
func isGreek(r rune) bool    { return r >= 0x0370 && r <= 0x03FF }
func isArabic(r rune) bool   { return r >= 0x0600 && r <= 0x06FF }

// transliterateWord turns one lower-case word (after NFKD and the removal of marks) into
// Latin letters. arabic reports that the word was Arabic script, whose romanisation lacks
// the short vowels.
func transliterateWord(w string) (latin string, fromArabic bool) {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return w, false
	}
	if n, ok := arabicNames[w]; ok {
		return n, false
	}
	var b strings.Builder
	rs := []rune(w)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case isCyrillic(r):
			// е after a vowel or at the start is "ye" in BGN/PCGN, but the lists mostly
			// write "e" (Sergei, Evgeny): keep the simpler form.
			b.WriteString(cyrillic[r])
		case isGreek(r):
			if i+1 < len(rs) {
				if d, ok := greekDigraphs[string(rs[i:i+2])]; ok {
					b.WriteString(d)
					i++
					continue
				}
			}
			b.WriteString(greek[r])
		case isArabic(r):
			fromArabic = true
			if r == 'ل' && i == 1 && rs[0] == 'ا' {
				b.WriteString("l")
				continue
			}
			switch {
			case r == 'و' && i > 0:
				b.WriteString("u") // waw inside a name is mostly the long vowel
			case (r == 'ي' || r == 'ی') && i > 0:
				b.WriteString("i")
			default:
				b.WriteString(arabic[r])
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), fromArabic
}
