package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

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

// row is one row to insert: its table, its columns with their PostgreSQL types, and its
// arguments in the same order. A conditional insert needs the types: its arguments have no
// VALUES list to take them from.
type row struct {
	table, columns string
	types          []string
	args           []any
}

func entryRow(e vigil.Entry) row {
	return row{table: "user_entries", columns: `tenant_id, user_uid, seq, type, timestamp, event_kind,
		event_id, body, request_hash, evaluation, response, shadow, created_at`,
		types: []string{"text", "text", "bigint", "text", "bigint", "text", "text", "bytea", "bytea", "bytea", "bytea", "bytea", "bigint"},
		args: []any{e.TenantID, e.UserUID, e.Seq, string(e.Type), e.Timestamp, nullString(string(e.EventKind)), nullString(e.EventID),
			e.Body, e.RequestHash, e.Evaluation, e.Response, e.Shadow, e.CreatedAt}}
}

func deliveryRow(d vigil.Delivery) row {
	return row{table: "webhook_deliveries", columns: sqlrow.DeliveryColumns,
		types: []string{"text", "text", "text", "text", "bigint", "text", "bytea", "text", "bigint", "bigint", "bigint", "bigint", "text", "bigint", "bigint"},
		args: []any{d.ID, d.TenantID, d.EndpointID, d.OrderKey, d.Seq, d.Type,
			d.Payload, d.Status, d.Attempts, d.NextAttemptAt, d.LeaseUntil, d.LastStatus, d.LastError, d.CreatedAt, d.DeliveredAt}}
}

// insert is the row's plain INSERT.
func (r row) insert() statement {
	return statement{sql: `INSERT INTO ` + r.table + ` (` + r.columns + `) VALUES (` + placeholders(1, r.types, false) + `)`,
		args: r.args}
}

// placeholders lists $first, $first+1... for types, each cast to its type when cast is set.
func placeholders(first int, types []string, cast bool) string {
	var b strings.Builder
	for i, typ := range types {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
		if cast {
			b.WriteString("::" + typ)
		}
	}
	return b.String()
}

func insertEntry(e vigil.Entry) statement { return entryRow(e).insert() }

func insertDelivery(d vigil.Delivery) statement { return deliveryRow(d).insert() }

// updateUserIf is WriteUserIf's one statement: the update of the user, on the checks of an
// update computed ahead, and the inserts of its rows, which select from the update's RETURNING
// and so insert only where it changed the user. It returns how many users it changed (1 or 0).
func updateUserIf(based vigil.UserVersion, u vigil.UserRecord, rows []row) statement {
	var b strings.Builder
	b.WriteString(`WITH changed AS (UPDATE users SET kind = $1, profile = $2, evaluation = $3, risk = $4,
		rules = $5, max_timestamp = $6, last_seq = $7, updated_at = $8 WHERE tenant_id = $9 AND user_id = $10
		AND uid = $11 AND last_seq = $12 AND coalesce((SELECT config_version FROM tenants WHERE id = $9), 0) = $13
		RETURNING 1)`)
	args := []any{string(u.Kind), u.Profile, u.Evaluation, u.Risk, u.Rules, u.MaxTimestamp, u.LastSeq, u.UpdatedAt,
		u.TenantID, based.UserID, based.UID, based.LastSeq, based.ConfigVersion}
	for i, r := range rows {
		fmt.Fprintf(&b, `, row%d AS (INSERT INTO %s (%s) SELECT %s FROM changed)`, i, r.table, r.columns,
			placeholders(len(args)+1, r.types, true))
		args = append(args, r.args...)
	}
	b.WriteString(` SELECT count(*) FROM changed`)
	return statement{sql: b.String(), args: args}
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

// WriteUserIf is one statement (updateUserIf): one round trip, where the update and then the
// inserts took two. As its unit's first statement it is also the whole transaction (writeAlone).
func (t *pgTx) WriteUserIf(ctx context.Context, based vigil.UserVersion, u vigil.UserRecord, entries []vigil.Entry, deliveries []vigil.Delivery) (bool, error) {
	rows := make([]row, 0, len(entries)+len(deliveries))
	for _, e := range entries {
		rows = append(rows, entryRow(e))
	}
	for _, d := range deliveries {
		rows = append(rows, deliveryRow(d))
	}
	st := updateUserIf(based, u, rows)
	if lazy, ok := t.tx.(*lazyTx); ok && !lazy.begun {
		done, err := lazy.writeAlone(ctx, st.sql, st.args)
		return done, mapError(err)
	}
	var changed int
	if err := t.tx.QueryRow(ctx, st.sql, st.args...).Scan(&changed); err != nil {
		return false, mapError(err)
	}
	return changed == 1, nil
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
