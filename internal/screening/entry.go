package screening

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kind is what a list entry (or a screened name) designates.
type Kind uint8

// The kinds of listed subjects.
const (
	KindUnknown Kind = iota
	KindPerson
	KindOrganisation
	KindVessel
	KindAircraft
	KindOther
)

// String returns the kind's lower-case name.
func (k Kind) String() string {
	switch k {
	case KindPerson:
		return "person"
	case KindOrganisation:
		return "organisation"
	case KindVessel:
		return "vessel"
	case KindAircraft:
		return "aircraft"
	case KindOther:
		return "other"
	}
	return "unknown"
}

// Date is a possibly partial date: a year alone (Month and Day zero), a year and month, or a
// full date. The lists often give only a year of birth, or a "circa" year.
type Date struct {
	Year, Month, Day int
	// Circa marks an approximate date ("circa 1960", "APPROXIMATELY").
	Circa bool
}

// String formats the date as YYYY, YYYY-MM or YYYY-MM-DD.
func (d Date) String() string {
	switch {
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// ParseISODate reads YYYY, YYYY-MM or YYYY-MM-DD (a longer timestamp is cut to its date).
func ParseISODate(s string) (Date, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 10 {
		s = s[:10]
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return Date{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Date{}, false
		}
		n[i] = v
	}
	d := Date{Year: n[0], Month: n[1], Day: n[2]}
	if d.Year < 1000 || d.Month > 12 || d.Day > 31 || (d.Month == 0 && d.Day != 0) {
		return Date{}, false
	}
	return d, true
}

// Entry is one designated subject of a list, in a shape common to every format.
type Entry struct {
	// ID is unique within the list: the publisher's own identifier, prefixed by nothing.
	ID string
	// Source names the list: see the Source* constants.
	Source string
	// Programmes are the sanctions regimes or programmes (OFAC "SDGT", EU regulation
	// programme "RUS", UN list type "Al-Qaida", UK regime names, OpenSanctions datasets).
	Programmes []string
	Kind       Kind
	// Name is the primary name as published; Aliases are the other names (a.k.a., f.k.a.,
	// spellings, original script).
	Name    string
	Aliases []string
	// BirthDates lists every published date of birth (lists often give several).
	BirthDates []Date
	// Nationalities holds nationalities and citizenships, as ISO 3166 alpha-2 codes in lower
	// case where the country is recognised (NormalizeCountry), else the lower-cased name.
	Nationalities []string
	// Countries holds the countries of addresses, registration or residence, normalised the
	// same way; Addresses the address lines as published.
	Countries []string
	Addresses []string
	// PEP marks a politically exposed person; Sanctioned a sanctions designation. An entry
	// of a sanctions list is Sanctioned; OpenSanctions entries say by their topics.
	PEP        bool
	Sanctioned bool
	// Listed is the date of designation and Modified the date of the entry's last change
	// when the list publishes them (YYYY-MM-DD or as given).
	Listed   string
	Modified string
}

// Names returns the primary name followed by the aliases.
func (e *Entry) Names() []string {
	out := make([]string, 0, 1+len(e.Aliases))
	out = append(out, e.Name)
	return append(out, e.Aliases...)
}

// Digest is a content hash of an entry: two versions of a list give an entry the same digest
// exactly when nothing screened or reported about it changed.
type Digest [sha256.Size]byte

// String returns the digest in hexadecimal.
func (d Digest) String() string { return fmt.Sprintf("%x", d[:]) }

// Digest hashes the entry's content. Lists of values are hashed in a canonical order, so a
// publisher reordering aliases does not make the entry look changed.
func (e *Entry) Digest() Digest {
	h := sha256.New()
	var lenBuf [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(s)))
		h.Write(lenBuf[:])
		h.Write([]byte(s))
	}
	list := func(ss []string) {
		sorted := slices.Clone(ss)
		slices.Sort(sorted)
		str(strconv.Itoa(len(sorted)))
		for _, s := range sorted {
			str(s)
		}
	}
	str(e.ID)
	str(e.Source)
	list(e.Programmes)
	str(e.Kind.String())
	str(e.Name)
	list(e.Aliases)
	dates := make([]string, len(e.BirthDates))
	for i, d := range e.BirthDates {
		dates[i] = d.String() + map[bool]string{true: "~", false: ""}[d.Circa]
	}
	list(dates)
	list(e.Nationalities)
	list(e.Countries)
	list(e.Addresses)
	str(strconv.FormatBool(e.PEP) + strconv.FormatBool(e.Sanctioned))
	str(e.Listed)
	str(e.Modified)
	var d Digest
	h.Sum(d[:0])
	return d
}

// The list sources the parsers produce.
const (
	SourceOFAC          = "OFAC-SDN"
	SourceEU            = "EU-FSF"
	SourceUN            = "UN-SC"
	SourceUK            = "UK-SANCTIONS"
	SourceOpenSanctions = "OPENSANCTIONS"
)

// Format names a file format the parsers read.
type Format string

// The supported formats.
const (
	FormatOFACCSV       Format = "ofac-sdn-csv"
	FormatOFACXML       Format = "ofac-sdn-xml"
	FormatEUXML         Format = "eu-fsf-xml"
	FormatUNXML         Format = "un-sc-xml"
	FormatUKCSV         Format = "uk-sanctions-csv"
	FormatOpenSanctions Format = "opensanctions-ftm-jsonl"
)

// Header describes one published version of a list.
type Header struct {
	Source string
	Format Format
	// Published is the publisher's date of this version (YYYY-MM-DD or as given), empty
	// when the file does not say.
	Published string
}

// Delta is what changed between two versions of a list.
type Delta struct {
	Added   []Entry
	Changed []Entry
	// Removed holds the IDs of entries no longer listed.
	Removed []string
}

// Diff compares a new version of a list with the digests of the previous one (by entry ID)
// and returns the new, changed and removed entries. Only Added and Changed need screening
// against existing customers.
func Diff(previous map[string]Digest, current []Entry) Delta {
	var d Delta
	seen := make(map[string]bool, len(current))
	for _, e := range current {
		seen[e.ID] = true
		old, ok := previous[e.ID]
		switch {
		case !ok:
			d.Added = append(d.Added, e)
		case old != e.Digest():
			d.Changed = append(d.Changed, e)
		}
	}
	for id := range previous {
		if !seen[id] {
			d.Removed = append(d.Removed, id)
		}
	}
	slices.Sort(d.Removed)
	return d
}
