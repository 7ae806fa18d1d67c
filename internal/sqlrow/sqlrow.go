// Package sqlrow turns result rows into domain records once for every SQL backend. Rows from
// database/sql and from pgx both satisfy Rows, so the column order each record expects, and the
// conversions from column types, live here instead of in each backend. The SQL itself stays in
// the backends, placeholders and dialects differing, except the user search's (search.go),
// which is built the same for both but for its placeholders.
package sqlrow

import (
	"encoding/json"
	"strings"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// Rows is a result set being read, as database/sql and pgx both present it. Closing is left to
// the caller, because the two disagree on Close's signature.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// Collect reads every remaining row with scan.
func Collect[T any](rows Rows, scan func(Rows) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Entry reads a history entry from the columns tenant_id, user_uid, seq, type, timestamp,
// event_kind, event_id (both coalesced to the empty string) and body.
func Entry(rows Rows) (vigil.Entry, error) {
	return entry(rows, false)
}

// EntryWithResults reads the columns of Entry followed by evaluation and response.
func EntryWithResults(rows Rows) (vigil.Entry, error) {
	return entry(rows, true)
}

func entry(rows Rows, withResults bool) (vigil.Entry, error) {
	var e vigil.Entry
	var typ, kind string
	dest := []any{&e.TenantID, &e.UserUID, &e.Seq, &typ, &e.Timestamp, &kind, &e.EventID, &e.Body}
	if withResults {
		dest = append(dest, &e.Evaluation, &e.Response)
	}
	err := rows.Scan(dest...)
	e.Type, e.EventKind = vigil.EntryType(typ), vigil.Kind(kind)
	return e, err
}

// EntryWithRisk reads a whole history entry from the columns tenant_id, user_uid, seq, type,
// timestamp, event_kind, event_id (both coalesced to the empty string), body, request_hash,
// evaluation, response, shadow, created_at and risk.
func EntryWithRisk(row Row) (vigil.Entry, error) {
	var e vigil.Entry
	var typ, kind string
	err := row.Scan(&e.TenantID, &e.UserUID, &e.Seq, &typ, &e.Timestamp, &kind, &e.EventID, &e.Body, &e.RequestHash,
		&e.Evaluation, &e.Response, &e.Shadow, &e.CreatedAt, &e.Risk)
	e.Type, e.EventKind = vigil.EntryType(typ), vigil.Kind(kind)
	return e, err
}

// Rule reads a rule version from the columns tenant_id, rule_instance_id, version_id, document
// and the time it was written.
func Rule(rows Rows) (vigil.RuleRecord, error) {
	var r vigil.RuleRecord
	err := rows.Scan(&r.TenantID, &r.RuleInstanceID, &r.VersionID, &r.Document, &r.UpdatedAt)
	return r, err
}

// Endpoint reads a webhook endpoint from the columns tenant_id, id, url, events (comma
// separated), origin, secrets (a JSON array), enabled (0 or 1) and created_at.
func Endpoint(rows Rows) (vigil.WebhookEndpoint, error) {
	var e vigil.WebhookEndpoint
	var events string
	var secrets []byte
	var enabled int64
	if err := rows.Scan(&e.TenantID, &e.ID, &e.URL, &events, &e.Origin, &secrets, &enabled, &e.CreatedAt); err != nil {
		return e, err
	}
	e.Enabled = enabled != 0
	if events != "" {
		e.Events = strings.Split(events, ",")
	}
	err := json.Unmarshal(secrets, &e.Secrets)
	return e, err
}

// DeliveryColumns are the columns Delivery reads, in its order.
const DeliveryColumns = `id, tenant_id, endpoint_id, order_key, seq, type, payload, status, attempts,
	next_attempt_at, lease_until, last_status, last_error, created_at, delivered_at`

// Delivery reads a webhook delivery from DeliveryColumns.
func Delivery(rows Rows) (vigil.Delivery, error) {
	var d vigil.Delivery
	err := rows.Scan(&d.ID, &d.TenantID, &d.EndpointID, &d.OrderKey, &d.Seq, &d.Type, &d.Payload, &d.Status,
		&d.Attempts, &d.NextAttemptAt, &d.LeaseUntil, &d.LastStatus, &d.LastError, &d.CreatedAt, &d.DeliveredAt)
	return d, err
}

// Attempt reads a delivery attempt from the columns delivery_id, attempt, at, status_code, error
// and duration_ms.
func Attempt(rows Rows) (vigil.DeliveryAttempt, error) {
	var a vigil.DeliveryAttempt
	err := rows.Scan(&a.DeliveryID, &a.Attempt, &a.At, &a.StatusCode, &a.Error, &a.DurationMs)
	return a, err
}

// Row is one result row, as database/sql's QueryRow and pgx's QueryRow both return it.
type Row interface {
	Scan(dest ...any) error
}

// Users reads every remaining row as a user, from the columns UserWith reads.
func Users(rows Rows) ([]vigil.UserRecord, error) {
	return Collect(rows, func(r Rows) (vigil.UserRecord, error) { return UserWith(r) })
}

// UserWith reads a user from the columns tenant_id, uid, user_id, kind, profile, evaluation,
// risk, rules, max_timestamp, last_seq, created_at, updated_at, terms and fold_index, followed
// by the columns extra scans.
func UserWith(row Row, extra ...any) (vigil.UserRecord, error) {
	var u vigil.UserRecord
	var kind string
	dest := append([]any{&u.TenantID, &u.UID, &u.UserID, &kind, &u.Profile, &u.Evaluation, &u.Risk, &u.Rules,
		&u.MaxTimestamp, &u.LastSeq, &u.CreatedAt, &u.UpdatedAt, &u.Terms, &u.FoldIndex}, extra...)
	err := row.Scan(dest...)
	u.Kind = vigil.Kind(kind)
	return u, err
}

// AuditColumns are the columns of audit_log that Audit reads, in its order. An unsealed
// record's seq, prev_hash and hash are coalesced by the query to 0 and empty.
const AuditColumns = `tenant_id, id, coalesce(seq, 0), at, actor, request_id, action, target, digest, prev_hash, hash`

// Audit reads an audit record from AuditColumns.
func Audit(rows Rows) (vigil.AuditRecord, error) {
	var r vigil.AuditRecord
	err := rows.Scan(&r.TenantID, &r.ID, &r.Seq, &r.At, &r.Actor, &r.RequestID, &r.Action, &r.Target, &r.Digest,
		&r.PrevHash, &r.Hash)
	return r, err
}
