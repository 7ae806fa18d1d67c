package screening

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseError is a refused file: it names the format and where the problem is.
type ParseError struct {
	Format Format
	// Line is the 1-based line of the problem, zero when unknown.
	Line int
	// Element names the XML element, CSV record or JSON line being read.
	Element string
	Err     error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Format))
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Element != "" {
		b.WriteString(": " + e.Element)
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// ErrUnknownFormat is returned for a file none of the parsers recognises.
var ErrUnknownFormat = errors.New("unrecognised list format")

// ofacPart tells the three files of the OFAC CSV set apart.
type ofacPart int

const (
	ofacNone ofacPart = iota
	ofacSDN
	ofacAlt
	ofacAdd
)

const peekSize = 8192

// detect reads the start of a file and tells its format (and for the OFAC CSV set, which
// file of the set it is). The XML formats are told apart by their root element, the UK CSV by
// its header, the OFAC CSV files by their column count, OpenSanctions by a JSON object.
func detect(br *bufio.Reader) (Format, ofacPart, error) {
	head, err := br.Peek(peekSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return "", 0, err
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return "", 0, fmt.Errorf("%w: the file is empty", ErrUnknownFormat)
	case trimmed[0] == '<':
		d := xml.NewDecoder(bytes.NewReader(trimmed))
		for {
			tok, err := d.Token()
			if err != nil {
				return "", 0, fmt.Errorf("%w: XML without a root element in its first %d bytes", ErrUnknownFormat, peekSize)
			}
			if se, ok := tok.(xml.StartElement); ok {
				switch se.Name.Local {
				case "sdnList":
					return FormatOFACXML, 0, nil
				case "export":
					return FormatEUXML, 0, nil
				case "CONSOLIDATED_LIST":
					return FormatUNXML, 0, nil
				}
				return "", 0, fmt.Errorf("%w: XML root element <%s>", ErrUnknownFormat, se.Name.Local)
			}
		}
	case trimmed[0] == '{':
		return FormatOpenSanctions, 0, nil
	}
	firstLines := string(trimmed)
	if i := strings.IndexByte(firstLines, '\n'); i >= 0 {
		if j := strings.IndexByte(firstLines[i+1:], '\n'); j >= 0 {
			firstLines = firstLines[:i+1+j]
		}
	}
	if strings.HasPrefix(firstLines, "Last Updated") || strings.Contains(firstLines, "Name 6") {
		return FormatUKCSV, 0, nil
	}
	cr := csv.NewReader(bytes.NewReader(trimmed))
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err == nil && len(rec) > 0 && isDigits(strings.TrimSpace(rec[0])) {
		switch len(rec) {
		case 12:
			return FormatOFACCSV, ofacSDN, nil
		case 5:
			return FormatOFACCSV, ofacAlt, nil
		case 6:
			return FormatOFACCSV, ofacAdd, nil
		}
	}
	return "", 0, ErrUnknownFormat
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Detect returns the format of a list file from its first bytes, without consuming them
// from the caller's point of view (it reads through a buffered reader the caller passes on).
func Detect(r io.Reader) (Format, io.Reader, error) {
	br := bufio.NewReaderSize(r, peekSize)
	f, _, err := detect(br)
	return f, br, err
}

// Parse reads one list file of any supported format, detected from its content, and calls
// fn with each entry as it is read: the file is never held in memory. A file of the OFAC CSV
// set is accepted alone only if it is sdn.csv (without aliases and addresses); use ParseFiles
// for the whole set. An error from fn stops the parse and is returned.
func Parse(r io.Reader, fn func(Entry) error) (Header, error) {
	br := bufio.NewReaderSize(r, peekSize)
	f, part, err := detect(br)
	if err != nil {
		return Header{}, err
	}
	if f == FormatOFACCSV {
		if part != ofacSDN {
			return Header{}, &ParseError{Format: f, Err: errors.New("alt.csv and add.csv only complete an sdn.csv: parse the set together")}
		}
		return parseOFACCSV(br, nil, nil, fn)
	}
	return parseFormat(f, br, fn)
}

func parseFormat(f Format, r io.Reader, fn func(Entry) error) (Header, error) {
	switch f {
	case FormatOFACXML:
		return parseOFACXML(r, fn)
	case FormatEUXML:
		return parseEUXML(r, fn)
	case FormatUNXML:
		return parseUNXML(r, fn)
	case FormatUKCSV:
		return parseUKCSV(r, fn)
	case FormatOpenSanctions:
		return parseFTM(r, fn)
	}
	return Header{}, ErrUnknownFormat
}

// ParseFiles reads several list files, each detected from its content, and calls fn with
// every entry. The files of the OFAC CSV set (sdn.csv, alt.csv, add.csv) may come in any
// order and are joined into one list; alt.csv and add.csv are read first, into memory (they
// are small), then sdn.csv is streamed. It returns one header per list read.
func ParseFiles(fn func(Entry) error, files ...io.Reader) ([]Header, error) {
	var sdn, alt, add io.Reader
	var others []struct {
		f Format
		r io.Reader
	}
	for i, r := range files {
		br := bufio.NewReaderSize(r, peekSize)
		f, part, err := detect(br)
		if err != nil {
			return nil, fmt.Errorf("file %d: %w", i+1, err)
		}
		if f != FormatOFACCSV {
			others = append(others, struct {
				f Format
				r io.Reader
			}{f, br})
			continue
		}
		slot := map[ofacPart]*io.Reader{ofacSDN: &sdn, ofacAlt: &alt, ofacAdd: &add}[part]
		if *slot != nil {
			return nil, fmt.Errorf("file %d: a second OFAC %s", i+1, map[ofacPart]string{ofacSDN: "sdn.csv", ofacAlt: "alt.csv", ofacAdd: "add.csv"}[part])
		}
		*slot = br
	}
	var headers []Header
	if sdn == nil && (alt != nil || add != nil) {
		return nil, &ParseError{Format: FormatOFACCSV, Err: errors.New("alt.csv or add.csv without sdn.csv")}
	}
	if sdn != nil {
		h, err := parseOFACCSV(sdn, alt, add, fn)
		if err != nil {
			return nil, err
		}
		headers = append(headers, h)
	}
	for _, o := range others {
		h, err := parseFormat(o.f, o.r, fn)
		if err != nil {
			return nil, err
		}
		headers = append(headers, h)
	}
	return headers, nil
}

// xmlStream reads an XML file whose root element is root and decodes each element named in
// handlers (at any depth) with its handler; rootAttrs sees the root's attributes.
func xmlStream(r io.Reader, f Format, root string, rootAttrs func([]xml.Attr), handlers map[string]func(*xml.Decoder, *xml.StartElement) error) error {
	d := xml.NewDecoder(r)
	d.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("unsupported charset %q", charset)
	}
	sawRoot := false
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			if !sawRoot {
				return &ParseError{Format: f, Err: fmt.Errorf("no <%s> element", root)}
			}
			return nil
		}
		if err != nil {
			return &ParseError{Format: f, Line: line, Err: err}
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !sawRoot {
			if se.Name.Local != root {
				return &ParseError{Format: f, Line: line, Element: se.Name.Local, Err: fmt.Errorf("root element is not <%s>", root)}
			}
			sawRoot = true
			if rootAttrs != nil {
				rootAttrs(se.Attr)
			}
			continue
		}
		if h, ok := handlers[se.Name.Local]; ok {
			if err := h(d, &se); err != nil {
				var pe *ParseError
				if errors.As(err, &pe) {
					return err
				}
				if errors.Is(err, errStop) {
					return err
				}
				return &ParseError{Format: f, Line: line, Element: se.Name.Local, Err: err}
			}
		}
	}
}

// errStop wraps an error from the caller's callback so that it is returned unchanged.
var errStop = errors.New("stopped by the callback")

// callbackError carries the caller's own error out of a parser.
type callbackError struct{ err error }

func (c *callbackError) Error() string { return c.err.Error() }
func (c *callbackError) Unwrap() error { return c.err }
func (c *callbackError) Is(target error) bool {
	return target == errStop
}

// emit calls the caller's callback, marking its error so that parsers pass it through.
func emit(fn func(Entry) error, e Entry) error {
	if err := fn(e); err != nil {
		return &callbackError{err}
	}
	return nil
}

// unwrapCallback returns the caller's own error when err came from the callback.
func unwrapCallback(err error) error {
	var c *callbackError
	if errors.As(err, &c) {
		return c.err
	}
	return err
}

// cleanStrings trims, drops empty values and duplicates, keeping order.
func cleanStrings(ss []string) []string {
	var out []string
	for _, s := range ss {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" {
			continue
		}
		dup := false
		for _, o := range out {
			if o == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// finish tidies an entry before it is emitted and checks it has what screening needs.
func finish(e *Entry) error {
	e.Name = strings.Join(strings.Fields(e.Name), " ")
	e.Aliases = cleanStrings(e.Aliases)
	kept := e.Aliases[:0]
	for _, a := range e.Aliases {
		if a != e.Name {
			kept = append(kept, a)
		}
	}
	e.Aliases = kept
	if e.Name == "" && len(e.Aliases) > 0 {
		e.Name, e.Aliases = e.Aliases[0], e.Aliases[1:]
	}
	e.Programmes = cleanStrings(e.Programmes)
	e.Nationalities = cleanStrings(e.Nationalities)
	e.Countries = cleanStrings(e.Countries)
	e.Addresses = cleanStrings(e.Addresses)
	if len(e.Aliases) == 0 {
		e.Aliases = nil
	}
	if e.ID == "" {
		return errors.New("entry without an identifier")
	}
	if e.Name == "" {
		return fmt.Errorf("entry %s has no name", e.ID)
	}
	return nil
}

// countries normalises country names or codes (see NormalizeCountry), dropping unknowns.
func countries(ss ...string) []string {
	var out []string
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s == "" || s == "00" || strings.EqualFold(s, "unknown") {
			continue
		}
		out = append(out, NormalizeCountry(s))
	}
	return out
}

// csvLine is the line of the record just read, or of the error in it.
func csvLine(cr *csv.Reader, err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.StartLine
	}
	if err != nil {
		return 0
	}
	line, _ := cr.FieldPos(0)
	return line
}
