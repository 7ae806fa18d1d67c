package screening

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The UK consolidated list (OFSI's ConList.csv, published with the FCDO) starts with a
// "Last Updated,DD/MM/YYYY" line, then a header row naming the columns: Name 6 (the surname
// or the entity's name), Name 1 .. Name 5, Title, Name Non-Latin Script, DOB (DD/MM/YYYY,
// "00" for an unknown day or month), Nationality, Country, Group Type (Individual, Entity,
// Ship), Alias Type (Primary name, AKA, ...), Regime, Listed On, Last Updated, Group ID and
// others. Each row is one name of a designation; rows of one Group ID form one entry. They
// are not guaranteed to be adjacent, so the parser gathers entries (not text) by group and
// emits them at the end of the file, in the order their groups first appear.

var ukRequired = []string{"Name 6", "Group Type", "Group ID"}

var ukNumbering = regexp.MustCompile(`\(\d+\)`)

func parseUKDate(s string) (Date, bool) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) != 3 {
		return Date{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			return Date{}, false
		}
		n[i] = v
	}
	d := Date{Year: n[2], Month: n[1], Day: n[0]}
	if d.Month == 0 {
		d.Day = 0
	}
	if d.Year < 1000 || d.Month > 12 || d.Day > 31 || d.Month < 0 || d.Day < 0 {
		return Date{}, false
	}
	return d, true
}

func ukISODate(s string) string {
	if t, err := time.Parse("02/01/2006", strings.TrimSpace(s)); err == nil {
		return t.Format("2006-01-02")
	}
	return strings.TrimSpace(s)
}

func parseUKCSV(r io.Reader, fn func(Entry) error) (Header, error) {
	h := Header{Source: SourceUK, Format: FormatUKCSV}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	fail := func(line int, err error) (Header, error) {
		return h, &ParseError{Format: FormatUKCSV, Line: line, Err: err}
	}
	var col map[string]int
	for col == nil {
		rec, err := cr.Read()
		if err == io.EOF {
			return fail(0, errors.New("no header row (Name 6, ..., Group ID)"))
		}
		line := csvLine(cr, err)
		if err != nil {
			return fail(line, err)
		}
		if len(rec) > 0 && strings.TrimPrefix(strings.TrimSpace(rec[0]), "\ufeff") == "Last Updated" {
			if len(rec) > 1 {
				h.Published = ukISODate(rec[1])
			}
			continue
		}
		col = map[string]int{}
		for i, name := range rec {
			col[strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))] = i
		}
		for _, req := range ukRequired {
			if _, ok := col[req]; !ok {
				return fail(line, fmt.Errorf("header row without the %q column", req))
			}
		}
	}
	var order []string
	groups := map[string]*Entry{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line := csvLine(cr, err)
		if err != nil {
			return fail(line, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		id := get("Group ID")
		if id == "" {
			return fail(line, errors.New("row without a Group ID"))
		}
		e, ok := groups[id]
		if !ok {
			e = &Entry{ID: id, Source: SourceUK, Sanctioned: true}
			switch strings.ToLower(get("Group Type")) {
			case "individual":
				e.Kind = KindPerson
			case "entity":
				e.Kind = KindOrganisation
			case "ship":
				e.Kind = KindVessel
			default:
				e.Kind = KindOther
			}
			groups[id] = e
			order = append(order, id)
		}
		name := joinName(get("Name 1"), get("Name 2"), get("Name 3"), get("Name 4"), get("Name 5"), get("Name 6"))
		if strings.EqualFold(get("Alias Type"), "Primary name") && e.Name == "" {
			e.Name = name
		} else {
			e.Aliases = append(e.Aliases, name)
		}
		if s := get("Name Non-Latin Script"); s != "" {
			e.Aliases = append(e.Aliases, s)
		}
		if d, ok := parseUKDate(get("DOB")); ok && !containsDate(e.BirthDates, d) {
			e.BirthDates = append(e.BirthDates, d)
		}
		for _, n := range ukNumbering.Split(get("Nationality"), -1) {
			e.Nationalities = append(e.Nationalities, countries(strings.Trim(n, " ,"))...)
		}
		if c := get("Country"); c != "" {
			e.Countries = append(e.Countries, countries(c)...)
			addr := joinName(get("Address 1"), get("Address 2"), get("Address 3"), get("Address 4"), get("Address 5"), get("Address 6"))
			e.Addresses = append(e.Addresses, strings.Join(cleanStrings([]string{addr, c}), ", "))
		}
		e.Programmes = append(e.Programmes, get("Regime"))
		if l := get("Listed On"); l != "" {
			e.Listed = ukISODate(l)
		}
		if u := ukISODate(get("Last Updated")); u > e.Modified {
			e.Modified = u
		}
	}
	for _, id := range order {
		e := groups[id]
		if err := finish(e); err != nil {
			return fail(0, err)
		}
		if err := fn(*e); err != nil {
			return h, err
		}
	}
	return h, nil
}

func containsDate(ds []Date, d Date) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}
