package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the embedded OpenAPI 3.1 document, the source of truth for the wire model.
func OpenAPI() []byte { return openAPIDocument }

const docURL = "file:///openapi.json"

// Problem is one reason a document does not match its schema.
type Problem struct {
	// Path is dotted from the document root, with [i] for array items; empty for the root.
	Path   string
	Reason string
}

// String renders the problem as "path: reason".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Reason
	}
	return p.Path + ": " + p.Reason
}

// Mode selects how strictly a document is checked.
type Mode int

const (
	// Full checks everything, including required fields.
	Full Mode = iota
	// Patch checks types, enums and bounds but treats every field as optional, for the
	// updated...Attributes of an event (the merged result is then checked in Full mode).
	Patch
)

// Validator checks JSON trees against the component schemas of the OpenAPI document. It is safe
// for concurrent use; build it once at start-up.
type Validator struct {
	schemas    map[string]*jsonschema.Schema
	properties map[string]map[string]bool
	// required lists, for each schema whose top-level properties are checked independently of
	// each other, its required properties (see ValidateChanged).
	required map[string][]string
	// shared lists, for two compiled schemas, the top-level properties they declare with the
	// same schema: a value that passed one's checks passes the other's.
	shared  map[[2]string]map[string]bool
	printer *message.Printer
}

// Proven holds top-level property values of a document that passed a schema's checks without a
// single problem (see ValidateProving). ValidateChanged need not check such a value again where
// the document still holds it. The zero Proven proves nothing.
type Proven struct {
	schema string
	values Object
}

// independentKeywords are the keywords a schema may use at its top level for its properties to
// be valid independently of each other: no keyword there relates one property to another.
var independentKeywords = map[string]bool{"description": true, "title": true, "type": true, "properties": true, "required": true}

// NewValidator compiles the named component schemas of the embedded document.
func NewValidator(names ...string) (*Validator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(openAPIDocument))
	if err != nil {
		return nil, fmt.Errorf("schema: parse openapi.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(compilePattern)
	if err := c.AddResource(docURL, doc); err != nil {
		return nil, fmt.Errorf("schema: load openapi.json: %w", err)
	}
	var raw struct {
		Components struct {
			Schemas map[string]map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDocument, &raw); err != nil {
		return nil, fmt.Errorf("schema: parse openapi.json: %w", err)
	}
	v := &Validator{schemas: map[string]*jsonschema.Schema{}, properties: map[string]map[string]bool{},
		required: map[string][]string{}, shared: map[[2]string]map[string]bool{}, printer: message.NewPrinter(language.English)}
	declared := map[string]map[string]json.RawMessage{}
	for _, name := range names {
		s, err := c.Compile(docURL + "#/components/schemas/" + name)
		if err != nil {
			return nil, fmt.Errorf("schema: compile %s: %w", name, err)
		}
		v.schemas[name] = s
		keywords := raw.Components.Schemas[name]
		var properties map[string]json.RawMessage
		var required []string
		if err := errors.Join(unmarshalIfSet(keywords["properties"], &properties), unmarshalIfSet(keywords["required"], &required)); err != nil {
			return nil, fmt.Errorf("schema: read %s: %w", name, err)
		}
		declared[name] = properties
		props := map[string]bool{}
		for p := range properties {
			props[p] = true
		}
		v.properties[name] = props
		independent := properties != nil
		for k := range keywords {
			independent = independent && independentKeywords[k]
		}
		if independent {
			v.required[name] = append([]string{}, required...)
		}
	}
	for _, a := range names {
		for _, b := range names {
			same := map[string]bool{}
			for p, raw := range declared[a] {
				if other, ok := declared[b][p]; ok && bytes.Equal(raw, other) {
					same[p] = true
				}
			}
			v.shared[[2]string{a, b}] = same
		}
	}
	return v, nil
}

func unmarshalIfSet(data json.RawMessage, v any) error {
	if data == nil {
		return nil
	}
	return json.Unmarshal(data, v)
}

// ValidateChanged checks doc like Validate, but looks only at the top-level properties that
// changed names and at the required ones. For a document that was valid before those properties
// changed it finds exactly what Validate would: the schema's top-level properties are checked
// independently of each other, so the unchanged ones are still valid. A changed property whose
// value proven holds, checked by a schema that declares it the same way, is valid too; when
// nothing else changed it checks nothing. For a schema that relates its properties (any other
// top-level keyword) it validates the whole document.
func (v *Validator) ValidateChanged(name string, doc Object, changed Object, mode Mode, prefix string, proven Proven) []Problem {
	required, independent := v.required[name]
	if !independent {
		return v.Validate(name, doc, mode, prefix)
	}
	same := v.shared[[2]string{name, proven.schema}]
	var part Object // made only when something is left to check
	for k := range changed {
		val, ok := doc[k]
		if ok && same[k] {
			if p, had := proven.values[k]; had && Equal(val, p) {
				continue
			}
		}
		if part == nil {
			part = make(Object, len(changed)+len(required))
		}
		// A required property that changed (removed, say) is checked with the others below.
		if ok {
			part[k] = val
		}
	}
	if part == nil {
		return nil
	}
	for _, k := range required {
		if val, ok := doc[k]; ok {
			part[k] = val
		}
	}
	return v.Validate(name, part, mode, prefix)
}

// Properties reports the top-level property names the component schema declares.
func (v *Validator) Properties(name string) map[string]bool { return v.properties[name] }

// ValidateProving is Validate for an object that also returns, when the schema found no problem
// at all in it (not even a required property missing, which Patch mode does not report), its
// top-level values as Proven for ValidateChanged.
func (v *Validator) ValidateProving(name string, doc Object, mode Mode, prefix string) ([]Problem, Proven) {
	problems, clean := v.validate(name, doc, mode, prefix)
	if !clean {
		return problems, Proven{}
	}
	return problems, Proven{schema: name, values: doc}
}

// Validate checks doc against the component schema name and returns every problem, sorted by
// path, with paths prefixed by prefix (e.g. "updatedConsumerUserAttributes"). It returns nil when
// the document is valid.
func (v *Validator) Validate(name string, doc any, mode Mode, prefix string) []Problem {
	problems, _ := v.validate(name, doc, mode, prefix)
	return problems
}

// validate is Validate that also reports whether the schema found nothing at all, before Patch
// mode drops missing required properties.
func (v *Validator) validate(name string, doc any, mode Mode, prefix string) ([]Problem, bool) {
	s, ok := v.schemas[name]
	if !ok {
		panic("schema: " + name + " was not compiled")
	}
	err := s.Validate(doc)
	if err == nil {
		return nil, true
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Problem{{Path: prefix, Reason: "is not valid"}}, false
	}
	seen := map[Problem]bool{}
	var out []Problem
	add := func(p Problem) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		path := joinPath(prefix, formatPath(doc, e.InstanceLocation))
		if req, ok := e.ErrorKind.(*kind.Required); ok {
			if mode == Patch {
				return
			}
			for _, m := range req.Missing {
				add(Problem{Path: joinPath(path, m), Reason: "is required"})
			}
			return
		}
		add(Problem{Path: path, Reason: v.reason(e)})
	}
	walk(ve)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Reason < out[j].Reason
	})
	return out, false
}

func (v *Validator) reason(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		return fmt.Sprintf("must be %s, not %s", article(strings.Join(k.Want, " or ")), article(k.Got))
	case *kind.Enum:
		return enumReason(k.Got, k.Want, e.SchemaURL)
	case *kind.Const:
		return fmt.Sprintf("must be %s", quote(k.Want))
	case *kind.Minimum:
		return fmt.Sprintf("%s is below the minimum %s", ratString(k.Got), ratString(k.Want))
	case *kind.Maximum:
		return fmt.Sprintf("%s is above the maximum %s", ratString(k.Got), ratString(k.Want))
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters long", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long, not %d", k.Want, k.Got)
	case *kind.Pattern:
		if strings.Contains(k.Want, `\p{Cc}`) {
			return "must not contain control characters"
		}
		return fmt.Sprintf("does not match the pattern %s", k.Want)
	case *kind.Not:
		return "matches a shape it must not have (a person item has generalDetails, a company item companyGeneralDetails, never both)"
	}
	return e.ErrorKind.LocalizedString(v.printer)
}

// maxListedEnum is how many allowed values an enum error lists before it names the enum instead.
const maxListedEnum = 12

func enumReason(got any, want []any, schemaURL string) string {
	if len(want) <= maxListedEnum {
		vals := make([]string, len(want))
		for i, w := range want {
			vals[i] = fmt.Sprint(w)
		}
		return fmt.Sprintf("%s is not one of %s", quote(got), strings.Join(vals, ", "))
	}
	name := schemaURL
	if i := strings.LastIndex(schemaURL, "/"); i >= 0 {
		name = schemaURL[i+1:]
	}
	return fmt.Sprintf("%s is not a valid %s (%d allowed values, listed in /openapi.json)", quote(got), name, len(want))
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func article(s string) string {
	switch {
	case s == "":
		return s
	case strings.HasPrefix(s, "object"), strings.HasPrefix(s, "array"), strings.HasPrefix(s, "integer"):
		return "an " + s
	case s == "null":
		return s
	}
	return "a " + s
}

// formatPath renders a JSON-pointer-like token list as a dotted path, with [i] for array items,
// looking at the document to tell array indexes from object keys.
func formatPath(doc any, loc []string) string {
	var b strings.Builder
	cur := doc
	for _, tok := range loc {
		switch t := cur.(type) {
		case []any:
			b.WriteString("[" + tok + "]")
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(t) {
				cur = t[i]
			} else {
				cur = nil
			}
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(tok)
			if m, ok := cur.(map[string]any); ok {
				cur = m[tok]
			} else {
				cur = nil
			}
		}
	}
	return b.String()
}

func joinPath(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	}
	return prefix + "." + path
}
