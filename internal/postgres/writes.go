package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

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
	return statement{sql: `INSERT INTO users (` + userColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		args: []any{u.TenantID, u.UID, u.UserID, string(u.Kind), u.Profile, u.Evaluation, u.Risk, u.Rules, u.MaxTimestamp, u.LastSeq, u.CreatedAt, u.UpdatedAt, u.Terms, u.FoldIndex}}
}

func updateUser(u vigil.UserRecord) statement {
	return statement{sql: `UPDATE users SET user_id = $1, kind = $2, profile = $3, evaluation = $4, risk = $5,
		rules = $6, max_timestamp = $7, last_seq = $8, updated_at = $9, terms = $12, fold_index = $13 WHERE tenant_id = $10 AND uid = $11`,
		args:       []any{u.UserID, string(u.Kind), u.Profile, u.Evaluation, u.Risk, u.Rules, u.MaxTimestamp, u.LastSeq, u.UpdatedAt, u.TenantID, u.UID, u.Terms, u.FoldIndex},
		mustChange: true}
}

// queueTermsSQL records that a write changed a user's terms (terms.go): the terms the index holds
// for it, unless a write since the last batch recorded them, and its terms now.
const queueTermsSQL = `INSERT INTO user_terms_pending (tenant_id, uid, created_at, indexed, terms) VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (tenant_id, uid) DO UPDATE SET terms = excluded.terms`

// appendTerms appends the statement that queues a write's change of the user's search terms.
func appendTerms(sts []statement, u vigil.UserRecord) []statement {
	if len(u.TermsAdded)+len(u.TermsRemoved) == 0 {
		return sts
	}
	return append(sts, statement{sql: queueTermsSQL, args: []any{u.TenantID, u.UID, u.CreatedAt, vigil.TermsBefore(u), u.Terms}})
}

// table is a table that writes insert rows into: its columns with their PostgreSQL types (a
// conditional insert needs them: its arguments have no VALUES list to take types from), and its
// plain INSERT, made once.
type table struct {
	name, columns string
	types         []string
	insertSQL     string
}

func newTable(name, columns string, types ...string) *table {
	t := &table{name: name, columns: columns, types: types}
	t.insertSQL = `INSERT INTO ` + name + ` (` + columns + `) VALUES (` + placeholders(1, types, false) + `)`
	return t
}

var (
	entriesTable = newTable("user_entries", `tenant_id, user_uid, seq, type, timestamp, event_kind,
		event_id, body, request_hash, evaluation, response, shadow, risk, created_at`,
		"text", "text", "bigint", "text", "bigint", "text", "text", "bytea", "bytea", "bytea", "bytea", "bytea", "bytea", "bigint")
	deliveriesTable = newTable("webhook_deliveries", sqlrow.DeliveryColumns,
		"text", "text", "text", "text", "bigint", "text", "bytea", "text", "bigint", "bigint", "bigint", "bigint", "text", "bigint", "bigint")
	// auditTable takes a change's unsealed audit record (the sealer fills seq and the hashes).
	auditTable = newTable("audit_log", "tenant_id, id, at, actor, request_id, action, target, digest",
		"text", "text", "bigint", "text", "text", "text", "text", "bytea")
)

func auditArgs(r vigil.AuditRecord) []any {
	return []any{r.TenantID, r.ID, r.At, r.Actor, r.RequestID, r.Action, r.Target, r.Digest}
}

func insertAudit(r vigil.AuditRecord) statement {
	return statement{sql: auditTable.insertSQL, args: auditArgs(r)}
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

func entryArgs(e vigil.Entry) []any {
	return []any{e.TenantID, e.UserUID, e.Seq, string(e.Type), e.Timestamp, nullString(string(e.EventKind)), nullString(e.EventID),
		e.Body, e.RequestHash, e.Evaluation, e.Response, e.Shadow, e.Risk, e.CreatedAt}
}

func deliveryArgs(d vigil.Delivery) []any {
	return []any{d.ID, d.TenantID, d.EndpointID, d.OrderKey, d.Seq, d.Type,
		d.Payload, d.Status, d.Attempts, d.NextAttemptAt, d.LeaseUntil, d.LastStatus, d.LastError, d.CreatedAt, d.DeliveredAt}
}

func insertEntry(e vigil.Entry) statement {
	return statement{sql: entriesTable.insertSQL, args: entryArgs(e)}
}

func insertDelivery(d vigil.Delivery) statement {
	return statement{sql: deliveriesTable.insertSQL, args: deliveryArgs(d)}
}

// updateUserIf is WriteUserIf's one statement: the update of the user, on the checks of an
// update computed ahead, and the inserts of its entries, deliveries and audit record and the
// changes of its search terms, which select from the update's RETURNING and so happen only where
// it changed the user. It returns how many users it changed (1 or 0).
func updateUserIf(based vigil.UserVersion, u vigil.UserRecord, entries []vigil.Entry, deliveries []vigil.Delivery, audit vigil.AuditRecord) statement {
	args := make([]any, 0, updateIfParams+len(entries)*len(entriesTable.types)+len(deliveries)*len(deliveriesTable.types)+
		len(auditTable.types)+2+3)
	args = append(args, string(u.Kind), u.Profile, u.Evaluation, u.Risk, u.Rules, u.MaxTimestamp, u.LastSeq, u.UpdatedAt,
		u.TenantID, based.UserID, based.UID, based.LastSeq, based.ConfigVersion, u.Terms, u.FoldIndex)
	for _, e := range entries {
		args = append(args, entryArgs(e)...)
	}
	for _, d := range deliveries {
		args = append(args, deliveryArgs(d)...)
	}
	args = append(args, auditArgs(audit)...)
	terms := len(u.TermsAdded)+len(u.TermsRemoved) > 0
	if terms {
		args = append(args, u.CreatedAt, vigil.TermsBefore(u))
	}
	hits := collectHits(entries)
	if !hits.empty() {
		args = append(append(args, hitShard(based.UID)), hits.args()...)
	}
	return statement{sql: updateUserIfSQL(len(entries), len(deliveries), terms, !hits.empty()), args: args}
}

// updateIfParams is how many parameters the update of updateUserIf takes, before its rows'.
const updateIfParams = 15

// updateUserIfSQLs keeps updateUserIf's SQL by its numbers of entries and deliveries: a write
// has one entry, and as many deliveries as the tenant's endpoints want, so there are few.
var updateUserIfSQLs sync.Map // [4]int -> string

// updateUserIfSQL is updateUserIf's SQL for entries entries and deliveries deliveries, a change
// of the search terms or none, and rule hits or none, made once for each.
func updateUserIfSQL(entries, deliveries int, terms, hits bool) string {
	key := [4]int{entries, deliveries, 0, 0}
	if terms {
		key[2] = 1
	}
	if hits {
		key[3] = 1
	}
	if sql, ok := updateUserIfSQLs.Load(key); ok {
		return sql.(string)
	}
	var b strings.Builder
	b.WriteString(`WITH changed AS (UPDATE users SET kind = $1, profile = $2, evaluation = $3, risk = $4,
		rules = $5, max_timestamp = $6, last_seq = $7, updated_at = $8, terms = $14, fold_index = $15 WHERE tenant_id = $9 AND user_id = $10
		AND uid = $11 AND last_seq = $12 AND coalesce((SELECT config_version FROM tenants WHERE id = $9), 0) = $13
		RETURNING 1)`)
	next, n := updateIfParams+1, 0
	insert := func(t *table) {
		fmt.Fprintf(&b, `, row%d AS (INSERT INTO %s (%s) SELECT %s FROM changed)`, n, t.name, t.columns,
			placeholders(next, t.types, true))
		next += len(t.types)
		n++
	}
	for range entries {
		insert(entriesTable)
	}
	for range deliveries {
		insert(deliveriesTable)
	}
	insert(auditTable)
	// The change of the user's search terms, queued (queueTermsSQL): its created_at and the terms
	// the index holds for it (its uid is $11, its terms now $14).
	if terms {
		fmt.Fprintf(&b, `, terms AS (INSERT INTO user_terms_pending (tenant_id, uid, created_at, indexed, terms)
			SELECT $9, $11, $%d::bigint, $%d::text, $14 FROM changed
			ON CONFLICT (tenant_id, uid) DO UPDATE SET terms = excluded.terms)`, next, next+1)
		next += 2
	}
	// The rule hits' counters, in the user's shard, with their four arrays.
	if hits {
		fmt.Fprintf(&b, `, hits AS (%s)`, upsertHitsSQL(9, next, next+1, ", changed"))
	}
	b.WriteString(` SELECT count(*) FROM changed`)
	sql, _ := updateUserIfSQLs.LoadOrStore(key, b.String())
	return sql.(string)
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
// inserts took two. As its unit's first statement it commits without a transaction of the
// unit's, in one shared with other units' such statements (writeAlone, shared.go).
func (t *pgTx) WriteUserIf(ctx context.Context, based vigil.UserVersion, u vigil.UserRecord, entries []vigil.Entry, deliveries []vigil.Delivery, audit vigil.AuditRecord) (bool, error) {
	st := updateUserIf(based, u, entries, deliveries, audit)
	if lazy, ok := t.tx.(*lazyTx); ok && !lazy.begun {
		done, err := lazy.writeAlone(ctx, u.TenantID+"\x00"+based.UID, st.sql, st.args)
		return done, mapError(err)
	}
	var changed int
	if err := t.tx.QueryRow(ctx, st.sql, st.args...).Scan(&changed); err != nil {
		return false, mapError(err)
	}
	return changed == 1, nil
}

// WriteUser sends the row, the entries, the deliveries and the audit record of one write as one
// batch: one round trip instead of one per statement. Statements after a failed one fail too
// (the transaction is aborted), so the first error is the one returned.
func (t *pgTx) WriteUser(ctx context.Context, u vigil.UserRecord, create bool, entries []vigil.Entry, deliveries []vigil.Delivery, audit vigil.AuditRecord) error {
	var row statement
	if create {
		row = insertUser(u)
	} else {
		row = updateUser(u)
	}
	sts := append(appendRows(appendTerms([]statement{row}, u), entries, deliveries), insertAudit(audit))
	if hits := addHits(entries); hits != nil {
		sts = append(sts, *hits)
	}
	return t.sendBatch(ctx, sts)
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
