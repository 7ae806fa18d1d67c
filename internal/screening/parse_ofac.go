package screening

import (
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// The OFAC SDN list is published as sdn.csv (one row per entry: ent_num, SDN_Name,
// SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner,
// Remarks), alt.csv (ent_num, alt_num, alt_type, alt_name, alt_remarks) and add.csv
// (ent_num, add_num, address, city/state/postal code, country, add_remarks), without header
// rows, "-0-" standing for an empty value and a final Ctrl-Z line; and as sdn.xml
// (sdnList/sdnEntry). Dates of birth, nationalities and citizenships are in the remarks of
// the CSV ("DOB 07 Oct 1952; nationality Russia; citizen Russia").

func ofacValue(s string) string {
	s = strings.TrimSpace(s)
	if s == "-0-" {
		return ""
	}
	return s
}

func ofacKind(t string) Kind {
	switch strings.ToLower(ofacValue(t)) {
	case "individual":
		return KindPerson
	case "vessel":
		return KindVessel
	case "aircraft":
		return KindAircraft
	case "", "entity":
		return KindOrganisation
	}
	return KindOther
}

// ofacPrograms splits "SDGT] [IRGC" (the CSV's way of listing several programmes).
func ofacPrograms(s string) []string {
	s = strings.Trim(ofacValue(s), "[] ")
	if s == "" {
		return nil
	}
	return strings.Split(s, "] [")
}

// ofacName turns "PUTIN, Vladimir Vladimirovich" into "Vladimir Vladimirovich PUTIN".
func ofacName(s string, kind Kind) string {
	s = ofacValue(s)
	if kind == KindPerson {
		if last, first, ok := strings.Cut(s, ", "); ok && !strings.Contains(first, ",") {
			return first + " " + last
		}
	}
	return s
}

// parseOFACDate reads "07 Oct 1952", "Oct 1952", "1952", "circa 1952" and "1950 to 1952"
// (each year of a range).
func parseOFACDate(s string) []Date {
	s = strings.TrimSpace(s)
	circa := false
	if rest, ok := strings.CutPrefix(strings.ToLower(s), "circa "); ok {
		s, circa = strings.TrimSpace(s[len(s)-len(rest):]), true
	}
	if from, to, ok := strings.Cut(s, " to "); ok {
		a, b := parseOFACDate(from), parseOFACDate(to)
		if len(a) == 1 && len(b) == 1 && b[0].Year >= a[0].Year && b[0].Year-a[0].Year <= 10 {
			var out []Date
			for y := a[0].Year; y <= b[0].Year; y++ {
				out = append(out, Date{Year: y, Circa: circa})
			}
			return out
		}
		return nil
	}
	for _, layout := range []string{"02 Jan 2006", "2 Jan 2006", "Jan 2006", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			d := Date{Year: t.Year(), Circa: circa}
			if layout != "2006" {
				d.Month = int(t.Month())
			}
			if strings.Contains(layout, "2 ") {
				d.Day = t.Day()
			}
			return []Date{d}
		}
	}
	return nil
}

// ofacRemarks reads the dates of birth, nationalities and citizenships of the CSV remarks.
func ofacRemarks(remarks string, e *Entry) {
	for _, item := range strings.Split(ofacValue(remarks), ";") {
		item = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(item), "."))
		item = strings.TrimPrefix(item, "alt. ")
		switch {
		case strings.HasPrefix(item, "DOB "):
			e.BirthDates = append(e.BirthDates, parseOFACDate(item[4:])...)
		case strings.HasPrefix(item, "nationality "):
			e.Nationalities = append(e.Nationalities, countries(item[len("nationality "):])...)
		case strings.HasPrefix(item, "citizen "):
			e.Nationalities = append(e.Nationalities, countries(item[len("citizen "):])...)
		}
	}
}

// ofacCSVReader reads one file of the set, skipping the final Ctrl-Z line.
func ofacCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
}

func readOFACSide(r io.Reader, file string, fields int, add func(rec []string, line int) error) error {
	cr := ofacCSVReader(r)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line := csvLine(cr, err)
		if err != nil {
			return &ParseError{Format: FormatOFACCSV, Line: line, Element: file, Err: err}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "\x1a" {
			continue
		}
		if len(rec) != fields {
			return &ParseError{Format: FormatOFACCSV, Line: line, Element: file, Err: fmt.Errorf("%d fields, want %d", len(rec), fields)}
		}
		if !isDigits(strings.TrimSpace(rec[0])) {
			return &ParseError{Format: FormatOFACCSV, Line: line, Element: file, Err: fmt.Errorf("entry number %q is not a number", rec[0])}
		}
		if err := add(rec, line); err != nil {
			return err
		}
	}
}

func parseOFACCSV(sdn, alt, add io.Reader, fn func(Entry) error) (Header, error) {
	aliases := map[string][]string{}
	addresses := map[string][][2]string{}
	if alt != nil {
		err := readOFACSide(alt, "alt.csv", 5, func(rec []string, _ int) error {
			id := strings.TrimSpace(rec[0])
			if n := ofacValue(rec[3]); n != "" {
				aliases[id] = append(aliases[id], n)
			}
			return nil
		})
		if err != nil {
			return Header{}, err
		}
	}
	if add != nil {
		err := readOFACSide(add, "add.csv", 6, func(rec []string, _ int) error {
			id := strings.TrimSpace(rec[0])
			line := strings.Join(cleanStrings([]string{ofacValue(rec[2]), ofacValue(rec[3]), ofacValue(rec[4])}), ", ")
			addresses[id] = append(addresses[id], [2]string{line, ofacValue(rec[4])})
			return nil
		})
		if err != nil {
			return Header{}, err
		}
	}
	h := Header{Source: SourceOFAC, Format: FormatOFACCSV}
	err := readOFACSide(sdn, "sdn.csv", 12, func(rec []string, line int) error {
		id := strings.TrimSpace(rec[0])
		kind := ofacKind(rec[2])
		e := Entry{ID: id, Source: SourceOFAC, Kind: kind, Name: ofacName(rec[1], kind),
			Programmes: ofacPrograms(rec[3]), Sanctioned: true}
		for _, a := range aliases[id] {
			// alt.csv writes people's aliases "LAST, First" like their names.
			e.Aliases = append(e.Aliases, ofacName(a, kind))
		}
		for _, a := range addresses[id] {
			e.Addresses = append(e.Addresses, a[0])
			e.Countries = append(e.Countries, countries(a[1])...)
		}
		ofacRemarks(rec[11], &e)
		if err := finish(&e); err != nil {
			return &ParseError{Format: FormatOFACCSV, Line: line, Element: "sdn.csv", Err: err}
		}
		return emit(fn, e)
	})
	return h, unwrapCallback(err)
}

// The XML's elements, as far as screening reads them.
type ofacXMLEntry struct {
	UID       string   `xml:"uid"`
	FirstName string   `xml:"firstName"`
	LastName  string   `xml:"lastName"`
	SDNType   string   `xml:"sdnType"`
	Programs  []string `xml:"programList>program"`
	Akas      []struct {
		FirstName string `xml:"firstName"`
		LastName  string `xml:"lastName"`
	} `xml:"akaList>aka"`
	Addresses []struct {
		Address1 string `xml:"address1"`
		Address2 string `xml:"address2"`
		City     string `xml:"city"`
		Country  string `xml:"country"`
	} `xml:"addressList>address"`
	Nationalities []string `xml:"nationalityList>nationality>country"`
	Citizenships  []string `xml:"citizenshipList>citizenship>country"`
	Births        []string `xml:"dateOfBirthList>dateOfBirthItem>dateOfBirth"`
}

func joinName(parts ...string) string {
	return strings.Join(cleanStrings(parts), " ")
}

func parseOFACXML(r io.Reader, fn func(Entry) error) (Header, error) {
	h := Header{Source: SourceOFAC, Format: FormatOFACXML}
	err := xmlStream(r, FormatOFACXML, "sdnList", nil, map[string]func(*xml.Decoder, *xml.StartElement) error{
		"publshInformation": func(d *xml.Decoder, se *xml.StartElement) error {
			var p struct {
				Date string `xml:"Publish_Date"`
			}
			if err := d.DecodeElement(&p, se); err != nil {
				return err
			}
			if t, err := time.Parse("01/02/2006", strings.TrimSpace(p.Date)); err == nil {
				h.Published = t.Format("2006-01-02")
			} else {
				h.Published = strings.TrimSpace(p.Date)
			}
			return nil
		},
		"sdnEntry": func(d *xml.Decoder, se *xml.StartElement) error {
			var x ofacXMLEntry
			if err := d.DecodeElement(&x, se); err != nil {
				return err
			}
			kind := ofacKind(x.SDNType)
			e := Entry{ID: strings.TrimSpace(x.UID), Source: SourceOFAC, Kind: kind,
				Name: joinName(x.FirstName, x.LastName), Programmes: x.Programs, Sanctioned: true}
			for _, a := range x.Akas {
				e.Aliases = append(e.Aliases, joinName(a.FirstName, a.LastName))
			}
			for _, a := range x.Addresses {
				e.Addresses = append(e.Addresses, strings.Join(cleanStrings([]string{a.Address1, a.Address2, a.City, a.Country}), ", "))
				e.Countries = append(e.Countries, countries(a.Country)...)
			}
			e.Nationalities = append(countries(x.Nationalities...), countries(x.Citizenships...)...)
			for _, b := range x.Births {
				e.BirthDates = append(e.BirthDates, parseOFACDate(b)...)
			}
			if err := finish(&e); err != nil {
				return err
			}
			return emit(fn, e)
		},
	})
	return h, unwrapCallback(err)
}
