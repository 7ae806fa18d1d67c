// Package schema owns Vigil's wire model: the embedded OpenAPI 3.1 document that is the single
// source of truth for every request and response shape, strict JSON decoding, the canonical form
// used to compare requests, RFC 7386 merge patches, and validation that reports every problem
// with its JSON path.
//
// Documents are handled as generic JSON trees (map[string]any, []any, string, json.Number, bool,
// nil) so that fields the schema does not know survive unchanged.
package schema
