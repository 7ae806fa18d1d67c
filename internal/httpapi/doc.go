// Package httpapi serves Vigil's Flagright-compatible HTTP API: the routes the official SDKs
// call, x-api-key authentication, request size limits, strict JSON decoding, query flags, and
// one table that maps every domain error to a status and Flagright's error body.
package httpapi
