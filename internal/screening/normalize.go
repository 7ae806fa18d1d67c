package screening

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// A nameToken is one word of a normalised name.
type nameToken struct {
	text string
	skel string
	fold string
	// mask and fmask have a bit per letter of text and of fold (see letterMask).
	mask, fmask uint32
	// arabic marks a word romanised from Arabic letters: its vowels are guesses, so it is
	// also compared by consonant skeleton.
	arabic bool
}

// letterFolds are Latin letters NFKD does not decompose.
var letterFolds = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'þ': "th", 'ł': "l",
	'ı': "i", 'ħ': "h", 'ŧ': "t", 'ŀ': "l",
}

// honorifics are dropped from the names of people (and of unknown kinds).
var honorifics = setOf("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir",
	"dame", "lord", "lady", "sheikh", "shaikh", "shaykh", "sheik", "cheikh", "haji", "hajji",
	"hadji", "hajj", "mullah", "mulla", "imam", "maulana", "mawlana", "sayyid", "sayed",
	"general", "gen", "colonel", "col", "captain", "capt", "major", "maj", "lt", "hon", "rev",
	"excellency", "he", "the", "mme", "mlle", "herr", "frau", "sr", "jr", "dipl", "ing")

// companySuffixes are legal forms dropped from the names of organisations (and unknown kinds).
var companySuffixes = setOf("llc", "ltd", "limited", "gmbh", "mbh", "ooo", "oao", "zao", "pao",
	"ao", "tov", "sa", "ag", "jsc", "pjsc", "ojsc", "cjsc", "co", "corp", "corporation", "inc",
	"incorporated", "plc", "bv", "nv", "srl", "spa", "sarl", "sas", "kg", "ab", "oy", "llp",
	"lp", "pte", "pty", "fze", "fzco", "fzc", "company", "joint", "stock", "closed", "open",
	"public", "private", "kft", "sro", "doo", "ad", "as", "aps", "se", "sl", "bhd", "sdn",
	"establishment", "est", "group", "holding", "holdings", "trading", "the", "and", "of")

// particles are name parts too common to tell names apart (Arabic "al", "bin"; Dutch "van").
var particles = setOf("al", "el", "ul", "bin", "ibn", "bint", "ben", "van", "von", "der", "den",
	"de", "da", "di", "du", "la", "le", "del", "dos", "das", "abu", "bou")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// splitWords applies NFKD, drops the combining marks, folds case and the letters NFKD keeps,
// and splits on anything but letters and digits. Apostrophes join (O'Brien is "obrien").
func splitWords(s string) []string {
	s = norm.NFKD.String(s)
	var words []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == '\'' || r == '’' || r == '`' || r == 'ʼ' || r == 'ʻ' || r == '‘':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if f, ok := letterFolds[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(r)
			}
		default:
			flush()
		}
	}
	flush()
	return words
}

// normalizeName turns a name into comparable Latin tokens: see splitWords and
// transliterateWord; then honorifics (for people), legal forms (for organisations) and
// particles are dropped unless nothing else would remain.
func normalizeName(name string, kind Kind) []nameToken {
	words := splitWords(name)
	toks := make([]nameToken, 0, len(words))
	for _, w := range words {
		lat, ar := transliterateWord(w)
		if lat == "" {
			continue
		}
		fold := foldVowels(lat)
		toks = append(toks, nameToken{text: lat, skel: skeleton(lat), fold: fold, mask: letterMask(lat), fmask: letterMask(fold), arabic: ar})
	}
	drop := func(set map[string]bool) {
		kept := toks[:0:0]
		for _, t := range toks {
			if !set[t.text] {
				kept = append(kept, t)
			}
		}
		if len(kept) > 0 {
			toks = kept
		}
	}
	if kind != KindOrganisation {
		drop(honorifics)
	}
	if kind != KindPerson {
		drop(companySuffixes)
	}
	drop(particles)
	return toks
}

// NormalizeName returns the name as the matcher compares it: lower-case Latin words joined by
// single spaces. It is exported for display and for tests of the integration.
func NormalizeName(name string, kind Kind) string {
	toks := normalizeName(name, kind)
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.text
	}
	return strings.Join(parts, " ")
}

var skeletonFolds = strings.NewReplacer("ph", "f", "kh", "h", "gh", "g", "dh", "d", "th", "t",
	"sh", "s", "ch", "s", "ck", "k", "q", "k", "c", "k", "z", "s", "w", "v", "j", "y", "x", "ks")

// skeleton reduces a token to its consonants after folding the usual spelling variants of
// romanised names (ph/f, q/k, c/k, z/s, w/v, kh/h, doubled letters), keeping the first letter.
// "muhammad", "mohammed" and the Arabic-letter "mhmd" all give "mhmd".
func skeleton(t string) string {
	if t == "" {
		return ""
	}
	s := skeletonFolds.Replace(t)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		vowel := strings.IndexByte("aeiouy", c) >= 0
		switch {
		case i == 0 && vowel && c != 'y':
			c = 'a' // an initial vowel is a spelling variant (Umar, Omar)
		case i > 0 && vowel:
			continue
		case i > 0 && c == s[i-1]:
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

var vowelFolds = strings.NewReplacer("ou", "u", "oo", "u", "ee", "i", "ph", "f", "kh", "h", "q", "k",
	"dh", "d", "th", "t", "o", "u", "e", "i", "w", "v", "j", "y")

// foldVowels folds the vowel and consonant spellings romanisations disagree on (o/u, e/i,
// ou/u, ee/i, q/k, kh/h, ...) and doubled letters: Mohammed and Muhammad become "muhamid" and
// "muhamad", closer than their spellings. Unlike the skeleton it keeps the vowels, so Hasan
// and Husayn stay apart.
func foldVowels(t string) string {
	s := vowelFolds.Replace(t)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 && s[i] == s[i-1] {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
