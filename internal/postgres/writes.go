package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// statement is one write: its SQL, its arguments, and whether it must change a row (an update
// that changes none means the row is gone: vigil.ErrNotFound).
type statement struct {
	sql        string
	args       []any
	mustChange bool
}

func insertUser(u vigil.UserRecord) statement {
	return statement{sql: `INSERT INTO users (` + userColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		args: []any{u.TenantID, u.UID, u.UserID, string(u.Kind), u.Profile, u.Evaluation, u.Risk, u.Rules, u.MaxTimestamp, u.LastSeq, u.CreatedAt, u.UpdatedAt}}
}

func updateUser(u vigil.UserRecord) statement {
	return statement{sql: `UPDATE users SET user_id = $1, kind = $2, profile = $3, evaluation = $4, risk = $5,
		rules = $6, max_timestamp = $7, last_seq = $8, updated_at = $9 WHERE tenant_id = $10 AND uid = $11`,
		args:       []any{u.UserID, string(u.Kind), u.Profile, u.Evaluation, u.Risk, u.Rules, u.MaxTimestamp, u.LastSeq, u.UpdatedAt, u.TenantID, u.UID},
		mustChange: true}
}

func insertEntry(e vigil.Entry) statement {
	return statement{sql: `INSERT INTO user_entries (tenant_id, user_uid, seq, type, timestamp, event_kind,
		event_id, body, request_hash, evaluation, response, shadow, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		args: []any{e.TenantID, e.UserUID, e.Seq, string(e.Type), e.Timestamp, nullString(string(e.EventKind)), nullString(e.EventID),
			e.Body, e.RequestHash, e.Evaluation, e.Response, e.Shadow, e.CreatedAt}}
}

func insertDelivery(d vigil.Delivery) statement {
	return statement{sql: rebind(`INSERT INTO webhook_deliveries (` + sqlrow.DeliveryColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		args: []any{d.ID, d.TenantID, d.EndpointID, d.OrderKey, d.Seq, d.Type,
			d.Payload, d.Status, d.Attempts, d.NextAttemptAt, d.LeaseUntil, d.LastStatus, d.LastError, d.CreatedAt, d.DeliveredAt}}
}

// result maps a statement's outcome to the store's errors.
func (st statement) result(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return mapError(err)
	}
	if st.mustChange && tag.RowsAffected() == 0 {
		return vigil.ErrNotFound
	}
	return nil
}

func (t *pgTx) exec(ctx context.Context, st statement) error {
	return st.result(t.tx.Exec(ctx, st.sql, st.args...))
}

// WriteUserIf runs the conditional update alone: the entries may go only where it changed the
// row. That is two round trips, as many as the version read and the batch it replaces.
func (t *pgTx) WriteUserIf(ctx context.Context, based vigil.UserVersion, u vigil.UserRecord, entries []vigil.Entry, deliveries []vigil.Delivery) (bool, error) {
	tag, err := t.tx.Exec(ctx, `UPDATE users SET kind = $1, profile = $2, evaluation = $3, risk = $4,
		rules = $5, max_timestamp = $6, last_seq = $7, updated_at = $8 WHERE tenant_id = $9 AND user_id = $10
		AND uid = $11 AND last_seq = $12 AND coalesce((SELECT config_version FROM tenants WHERE id = $9), 0) = $13`,
		string(u.Kind), u.Profile, u.Evaluation, u.Risk, u.Rules, u.MaxTimestamp, u.LastSeq, u.UpdatedAt,
		u.TenantID, based.UserID, based.UID, based.LastSeq, based.ConfigVersion)
	if err != nil || tag.RowsAffected() == 0 {
		return false, mapError(err)
	}
	return true, t.sendBatch(ctx, appendRows(nil, entries, deliveries))
}

// WriteUser sends the row, the entries and the deliveries of one write as one batch: one round
// trip instead of one per statement. Statements after a failed one fail too (the transaction is
// aborted), so the first error is the one returned.
func (t *pgTx) WriteUser(ctx context.Context, u vigil.UserRecord, create bool, entries []vigil.Entry, deliveries []vigil.Delivery) error {
	var row statement
	if create {
		row = insertUser(u)
	} else {
		row = updateUser(u)
	}
	return t.sendBatch(ctx, appendRows([]statement{row}, entries, deliveries))
}

// appendRows appends the inserts of a write's history entries and outbox deliveries, in order.
func appendRows(sts []statement, entries []vigil.Entry, deliveries []vigil.Delivery) []statement {
	sts = slices.Grow(sts, len(entries)+len(deliveries))
	for _, e := range entries {
		sts = append(sts, insertEntry(e))
	}
	for _, d := range deliveries {
		sts = append(sts, insertDelivery(d))
	}
	return sts
}

// sendBatch sends statements as one batch and returns the first error.
func (t *pgTx) sendBatch(ctx context.Context, sts []statement) error {
	if len(sts) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for _, st := range sts {
		batch.Queue(st.sql, st.args...)
	}
	results := t.tx.SendBatch(ctx, batch)
	var first error
	for _, st := range sts {
		if err := st.result(results.Exec()); err != nil && first == nil {
			first = err
		}
	}
	if err := results.Close(); err != nil && first == nil {
		first = mapError(err)
	}
	return first
}
