// Package console serves the analyst console at /console/: server-rendered pages (html/template,
// assets embedded in the binary, no script) over the same vigil.Service methods the API calls.
// Analysts sign in with an email and password (vigil analysts add); a session is a cookie whose
// token only the database's hash matches, every form carries the session's CSRF token, and
// sign-in attempts are rate-limited per address and per email.
package console
