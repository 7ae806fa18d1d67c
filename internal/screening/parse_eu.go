package screening

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// The EU consolidated financial sanctions list (the FSF's XML, namespace
// http://eu.europa.ec/fpi/fsd/export) is an <export generationDate="..."> of sanctionEntity
// elements (attribute logicalId, euReferenceNumber) holding regulation (programme,
// publicationDate), subjectType (code person or enterprise), nameAlias (wholeName, firstName,
// middleName, lastName), citizenship (countryIso2Code, countryDescription), birthdate
// (birthdate YYYY-MM-DD, or year, monthOfYear, dayOfMonth; circa) and address
// (countryIso2Code). All but the attributes screening reads are ignored.
type euEntity struct {
	LogicalID   string `xml:"logicalId,attr"`
	EURef       string `xml:"euReferenceNumber,attr"`
	Regulations []struct {
		Programme       string `xml:"programme,attr"`
		PublicationDate string `xml:"publicationDate,attr"`
	} `xml:"regulation"`
	SubjectType struct {
		Code string `xml:"code,attr"`
	} `xml:"subjectType"`
	Names []struct {
		WholeName  string `xml:"wholeName,attr"`
		FirstName  string `xml:"firstName,attr"`
		MiddleName string `xml:"middleName,attr"`
		LastName   string `xml:"lastName,attr"`
	} `xml:"nameAlias"`
	Citizenships []struct {
		Code        string `xml:"countryIso2Code,attr"`
		Description string `xml:"countryDescription,attr"`
	} `xml:"citizenship"`
	Births []struct {
		Date  string `xml:"birthdate,attr"`
		Year  string `xml:"year,attr"`
		Month string `xml:"monthOfYear,attr"`
		Day   string `xml:"dayOfMonth,attr"`
		Circa string `xml:"circa,attr"`
	} `xml:"birthdate"`
	Addresses []struct {
		Street      string `xml:"street,attr"`
		City        string `xml:"city,attr"`
		Code        string `xml:"countryIso2Code,attr"`
		Description string `xml:"countryDescription,attr"`
	} `xml:"address"`
}

func parseEUXML(r io.Reader, fn func(Entry) error) (Header, error) {
	h := Header{Source: SourceEU, Format: FormatEUXML}
	rootAttrs := func(attrs []xml.Attr) {
		for _, a := range attrs {
			if a.Name.Local == "generationDate" {
				h.Published = cutDate(a.Value)
			}
		}
	}
	err := xmlStream(r, FormatEUXML, "export", rootAttrs, map[string]func(*xml.Decoder, *xml.StartElement) error{
		"sanctionEntity": func(d *xml.Decoder, se *xml.StartElement) error {
			var x euEntity
			if err := d.DecodeElement(&x, se); err != nil {
				return err
			}
			e := Entry{ID: strings.TrimSpace(x.LogicalID), Source: SourceEU, Sanctioned: true}
			switch strings.ToLower(strings.TrimSpace(x.SubjectType.Code)) {
			case "person":
				e.Kind = KindPerson
			case "enterprise":
				e.Kind = KindOrganisation
			default:
				e.Kind = KindOther
			}
			for _, reg := range x.Regulations {
				e.Programmes = append(e.Programmes, reg.Programme)
				if p := cutDate(reg.PublicationDate); p != "" && (e.Listed == "" || p < e.Listed) {
					e.Listed = p
				}
				if p := cutDate(reg.PublicationDate); p > e.Modified {
					e.Modified = p
				}
			}
			for _, n := range x.Names {
				name := strings.TrimSpace(n.WholeName)
				if name == "" {
					name = joinName(n.FirstName, n.MiddleName, n.LastName)
				}
				if e.Name == "" {
					e.Name = name
				} else {
					e.Aliases = append(e.Aliases, name)
				}
			}
			for _, c := range x.Citizenships {
				e.Nationalities = append(e.Nationalities, countries(firstNonEmpty(c.Code, c.Description))...)
			}
			for _, a := range x.Addresses {
				e.Addresses = append(e.Addresses, strings.Join(cleanStrings([]string{a.Street, a.City, a.Description}), ", "))
				e.Countries = append(e.Countries, countries(firstNonEmpty(a.Code, a.Description))...)
			}
			for _, b := range x.Births {
				d, ok := ParseISODate(b.Date)
				if !ok {
					y, _ := strconv.Atoi(strings.TrimSpace(b.Year))
					m, _ := strconv.Atoi(strings.TrimSpace(b.Month))
					day, _ := strconv.Atoi(strings.TrimSpace(b.Day))
					d, ok = Date{Year: y, Month: m, Day: day}, y >= 1000 && m >= 0 && m <= 12 && day >= 0 && day <= 31 && (m > 0 || day == 0)
				}
				if ok {
					d.Circa = strings.EqualFold(b.Circa, "true")
					e.BirthDates = append(e.BirthDates, d)
				}
			}
			if err := finish(&e); err != nil {
				return err
			}
			return emit(fn, e)
		},
	})
	return h, unwrapCallback(err)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" && s != "00" {
			return s
		}
	}
	return ""
}

// cutDate keeps the date of a timestamp (2024-05-01T10:00:00 gives 2024-05-01).
func cutDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[4] == '-' {
		return s[:10]
	}
	return s
}
