package screening

import "strings"

// countryNames maps the country names, adjectives and alternative spellings the lists use to
// ISO 3166 alpha-2 codes, for the countries that occur most on sanctions and PEP lists. A
// name not here is kept as its normalised text, which still compares equal to itself.
var countryNames = map[string]string{}

func init() {
	for code, names := range map[string][]string{
		"af": {"afghanistan", "afghan"}, "al": {"albania", "albanian"}, "dz": {"algeria", "algerian"},
		"ao": {"angola"}, "ar": {"argentina"}, "am": {"armenia"}, "au": {"australia"},
		"at": {"austria"}, "az": {"azerbaijan"}, "bh": {"bahrain"}, "bd": {"bangladesh"},
		"by": {"belarus", "belarusian", "belarussian"}, "be": {"belgium"}, "ba": {"bosnia and herzegovina"},
		"br": {"brazil"}, "bg": {"bulgaria"}, "mm": {"burma", "myanmar", "burmese"},
		"kh": {"cambodia"}, "cm": {"cameroon"}, "ca": {"canada"}, "cf": {"central african republic"},
		"td": {"chad"}, "cn": {"china", "chinese", "people s republic of china"},
		"co": {"colombia"}, "cd": {"congo democratic republic of the", "democratic republic of the congo", "congo kinshasa"},
		"cg": {"congo", "republic of the congo"}, "hr": {"croatia"}, "cu": {"cuba", "cuban"},
		"cy": {"cyprus", "cypriot"}, "cz": {"czech republic", "czechia"}, "dk": {"denmark"},
		"eg": {"egypt", "egyptian"}, "er": {"eritrea"}, "ee": {"estonia"}, "et": {"ethiopia"},
		"fi": {"finland"}, "fr": {"france", "french"}, "ge": {"georgia"}, "de": {"germany", "german"},
		"gr": {"greece", "greek"}, "gn": {"guinea"}, "ht": {"haiti"}, "hk": {"hong kong"},
		"hu": {"hungary"}, "in": {"india", "indian"}, "id": {"indonesia", "indonesian"},
		"ir": {"iran", "iranian", "iran islamic republic of", "islamic republic of iran"},
		"iq": {"iraq", "iraqi"}, "ie": {"ireland"}, "il": {"israel"}, "it": {"italy", "italian"},
		"jp": {"japan"}, "jo": {"jordan", "jordanian"}, "kz": {"kazakhstan"}, "ke": {"kenya"},
		"kp": {"north korea", "korea north", "korea democratic people s republic of", "democratic people s republic of korea", "dprk"},
		"kr": {"south korea", "korea south", "korea republic of", "republic of korea"},
		"kw": {"kuwait", "kuwaiti"}, "kg": {"kyrgyzstan"}, "lv": {"latvia"}, "lb": {"lebanon", "lebanese"},
		"ly": {"libya", "libyan"}, "lt": {"lithuania"}, "mk": {"north macedonia", "macedonia"},
		"my": {"malaysia"}, "ml": {"mali"}, "mx": {"mexico"}, "md": {"moldova"}, "me": {"montenegro"},
		"ma": {"morocco", "moroccan"}, "nl": {"netherlands", "dutch"}, "ni": {"nicaragua"},
		"ng": {"nigeria", "nigerian"}, "no": {"norway"}, "om": {"oman"}, "pk": {"pakistan", "pakistani"},
		"ps": {"palestine", "palestinian", "west bank", "gaza"}, "pa": {"panama"}, "ph": {"philippines", "filipino"},
		"pl": {"poland", "polish"}, "pt": {"portugal"}, "qa": {"qatar", "qatari"}, "ro": {"romania"},
		"ru": {"russia", "russian", "russian federation"}, "sa": {"saudi arabia", "saudi"},
		"rs": {"serbia", "serbian"}, "sg": {"singapore"}, "so": {"somalia", "somali"}, "za": {"south africa"},
		"ss": {"south sudan"}, "es": {"spain", "spanish"}, "lk": {"sri lanka"}, "sd": {"sudan", "sudanese"},
		"se": {"sweden"}, "ch": {"switzerland", "swiss"}, "sy": {"syria", "syrian", "syrian arab republic"},
		"tw": {"taiwan"}, "tj": {"tajikistan"}, "tz": {"tanzania"}, "th": {"thailand"}, "tn": {"tunisia", "tunisian"},
		"tr": {"turkey", "turkiye", "turkish"}, "tm": {"turkmenistan"}, "ua": {"ukraine", "ukrainian"},
		"ae": {"united arab emirates", "uae", "emirati"}, "gb": {"united kingdom", "uk", "great britain", "british"},
		"us": {"united states", "united states of america", "usa", "american"}, "uz": {"uzbekistan"},
		"ve": {"venezuela", "venezuelan"}, "vn": {"vietnam", "viet nam"}, "ye": {"yemen", "yemeni"},
		"zw": {"zimbabwe"},
	} {
		for _, n := range names {
			countryNames[n] = code
		}
	}
}

// NormalizeCountry returns the lower-case ISO 3166 alpha-2 code of a country given by code or
// by name ("RU", "Russia", "Russian Federation" are all "ru"), or else the name normalised
// (lower case, single spaces, no punctuation).
func NormalizeCountry(s string) string {
	n := strings.Join(splitWords(s), " ")
	if c, ok := countryNames[n]; ok {
		return c
	}
	return n
}
