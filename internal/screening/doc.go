// Package screening is Vigil's sanctions and PEP screening engine: a model of the published
// lists, streaming parsers for the official formats (OFAC SDN CSV and XML, the EU consolidated
// financial sanctions XML, the UN Security Council consolidated XML, the UK sanctions list CSV
// and OpenSanctions FollowTheMoney JSON lines), name normalisation and transliteration, an
// explainable matcher and an in-memory index with incremental updates.
//
// It is a pure domain package: it imports nothing of Vigil's, no database and no net/http, so
// the store, the HTTP layer and the command line can all build on it. docs/screening.md
// describes the formats, the scoring and the API.
package screening
