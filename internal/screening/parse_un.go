package screening

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// The UN Security Council consolidated list is a <CONSOLIDATED_LIST dateGenerated="...">
// with INDIVIDUALS/INDIVIDUAL and ENTITIES/ENTITY elements: DATAID, FIRST_NAME ..
// FOURTH_NAME, UN_LIST_TYPE, REFERENCE_NUMBER, LISTED_ON, NAME_ORIGINAL_SCRIPT,
// NATIONALITY/VALUE, LAST_DAY_UPDATED/VALUE, INDIVIDUAL_ALIAS (or ENTITY_ALIAS)/ALIAS_NAME,
// INDIVIDUAL_ADDRESS (ENTITY_ADDRESS)/COUNTRY and INDIVIDUAL_DATE_OF_BIRTH with TYPE_OF_DATE
// (EXACT, APPROXIMATELY, BETWEEN) and DATE, YEAR or FROM_YEAR/TO_YEAR.
type unSubject struct {
	DataID         string   `xml:"DATAID"`
	First          string   `xml:"FIRST_NAME"`
	Second         string   `xml:"SECOND_NAME"`
	Third          string   `xml:"THIRD_NAME"`
	Fourth         string   `xml:"FOURTH_NAME"`
	ListType       string   `xml:"UN_LIST_TYPE"`
	Reference      string   `xml:"REFERENCE_NUMBER"`
	ListedOn       string   `xml:"LISTED_ON"`
	OriginalScript string   `xml:"NAME_ORIGINAL_SCRIPT"`
	Nationalities  []string `xml:"NATIONALITY>VALUE"`
	Updated        []string `xml:"LAST_DAY_UPDATED>VALUE"`
	Aliases        []string `xml:"INDIVIDUAL_ALIAS>ALIAS_NAME"`
	EntityAliases  []string `xml:"ENTITY_ALIAS>ALIAS_NAME"`
	Addresses      []struct {
		Street  string `xml:"STREET"`
		City    string `xml:"CITY"`
		Country string `xml:"COUNTRY"`
	} `xml:"INDIVIDUAL_ADDRESS"`
	EntityAddresses []struct {
		Street  string `xml:"STREET"`
		City    string `xml:"CITY"`
		Country string `xml:"COUNTRY"`
	} `xml:"ENTITY_ADDRESS"`
	Births []struct {
		Type     string `xml:"TYPE_OF_DATE"`
		Date     string `xml:"DATE"`
		Year     string `xml:"YEAR"`
		FromYear string `xml:"FROM_YEAR"`
		ToYear   string `xml:"TO_YEAR"`
	} `xml:"INDIVIDUAL_DATE_OF_BIRTH"`
}

func parseUNXML(r io.Reader, fn func(Entry) error) (Header, error) {
	h := Header{Source: SourceUN, Format: FormatUNXML}
	rootAttrs := func(attrs []xml.Attr) {
		for _, a := range attrs {
			if a.Name.Local == "dateGenerated" {
				h.Published = cutDate(a.Value)
			}
		}
	}
	subject := func(kind Kind) func(*xml.Decoder, *xml.StartElement) error {
		return func(d *xml.Decoder, se *xml.StartElement) error {
			var x unSubject
			if err := d.DecodeElement(&x, se); err != nil {
				return err
			}
			e := Entry{ID: firstNonEmpty(x.Reference, x.DataID), Source: SourceUN, Kind: kind, Sanctioned: true,
				Name: joinName(x.First, x.Second, x.Third, x.Fourth), Programmes: []string{x.ListType},
				Listed: cutDate(x.ListedOn)}
			e.Aliases = append(append(e.Aliases, x.Aliases...), x.EntityAliases...)
			if x.OriginalScript != "" {
				e.Aliases = append(e.Aliases, x.OriginalScript)
			}
			e.Nationalities = countries(x.Nationalities...)
			for _, a := range append(x.Addresses, x.EntityAddresses...) {
				e.Addresses = append(e.Addresses, strings.Join(cleanStrings([]string{a.Street, a.City, a.Country}), ", "))
				e.Countries = append(e.Countries, countries(a.Country)...)
			}
			for _, u := range x.Updated {
				if u = cutDate(u); u > e.Modified {
					e.Modified = u
				}
			}
			for _, b := range x.Births {
				circa := strings.EqualFold(strings.TrimSpace(b.Type), "APPROXIMATELY")
				if d, ok := ParseISODate(b.Date); ok {
					d.Circa = circa
					e.BirthDates = append(e.BirthDates, d)
				} else if y, err := strconv.Atoi(strings.TrimSpace(b.Year)); err == nil && y >= 1000 {
					e.BirthDates = append(e.BirthDates, Date{Year: y, Circa: circa})
				}
				from, err1 := strconv.Atoi(strings.TrimSpace(b.FromYear))
				to, err2 := strconv.Atoi(strings.TrimSpace(b.ToYear))
				if err1 == nil && err2 == nil && from >= 1000 && to >= from && to-from <= 10 {
					for y := from; y <= to; y++ {
						e.BirthDates = append(e.BirthDates, Date{Year: y, Circa: true})
					}
				}
			}
			if err := finish(&e); err != nil {
				return err
			}
			return emit(fn, e)
		}
	}
	err := xmlStream(r, FormatUNXML, "CONSOLIDATED_LIST", rootAttrs, map[string]func(*xml.Decoder, *xml.StartElement) error{
		"INDIVIDUAL": subject(KindPerson),
		"ENTITY":     subject(KindOrganisation),
	})
	return h, unwrapCallback(err)
}
