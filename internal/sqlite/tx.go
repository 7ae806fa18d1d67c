package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// querier is what reads need from either a transaction or the read pool.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// sqlTx implements vigil.Tx inside the writer's transaction.
type sqlTx struct {
	// conn is the writer's connection, inside the transaction of the writer's current group.
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	// chain is the group's audit chain heads (audit_chain.go).
	chain *auditChain
}

func (t *sqlTx) q() txQueries { return txQueries{conn: t.conn, stmts: t.stmts} }

// The hot queries, prepared once (prepared.go).
const (
	qReadUser = `SELECT ` + userColumns + ` FROM users WHERE tenant_id = ? AND user_id = ?`
	// qLatestResponse's ORDER BY walks the primary key backwards: the newest entries first.
	qLatestResponse = `SELECT response FROM user_entries WHERE tenant_id = ? AND user_uid = ? AND response IS NOT NULL
		ORDER BY seq DESC LIMIT 1`
	qReadUserWithResponse = `SELECT ` + userColumns + `, (SELECT e.response FROM user_entries e
		WHERE e.tenant_id = u.tenant_id AND e.user_uid = u.uid AND e.response IS NOT NULL ORDER BY e.seq DESC LIMIT 1)
		FROM users u WHERE u.tenant_id = ? AND u.user_id = ?`
	qInsertUser = `INSERT INTO users (` + userColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateUser = `UPDATE users SET user_id = ?, kind = ?, profile = ?, evaluation = ?, risk = ?,
		rules = ?, max_timestamp = ?, last_seq = ?, updated_at = ?, terms = ?, fold_index = ? WHERE tenant_id = ? AND uid = ?`
	// qUpdateUserIf is qUpdateUser with the checks of WriteUserIf; it finds the row by its
	// primary key. It leaves user_id alone (the check pins it): SQLite rewrites the entry of
	// every index whose columns a SET names, even to the same value.
	qUpdateUserIf = `UPDATE users SET kind = ?, profile = ?, evaluation = ?, risk = ?,
		rules = ?, max_timestamp = ?, last_seq = ?, updated_at = ?, terms = ?, fold_index = ? WHERE tenant_id = ? AND user_id = ?
		AND uid = ? AND last_seq = ? AND coalesce((SELECT config_version FROM tenants WHERE id = ?), 0) = ?`
	qEntries = `SELECT tenant_id, user_uid, seq, type, timestamp, coalesce(event_kind, ''),
		coalesce(event_id, ''), body FROM user_entries WHERE tenant_id = ? AND user_uid = ? ORDER BY seq`
	qReadEvent = `SELECT ` + entryColumns + ` FROM user_entries
		WHERE tenant_id = ? AND event_kind = ? AND event_id = ?`
	qInsertEntry = `INSERT INTO user_entries (tenant_id, user_uid, seq, type, timestamp, event_kind,
		event_id, body, request_hash, evaluation, response, shadow, risk, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertTerm = `INSERT INTO user_terms (tenant_id, term, created_at, uid) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	qDeleteTerm     = `DELETE FROM user_terms WHERE tenant_id = ? AND term = ? AND created_at = ? AND uid = ?`
	qRiskModel      = `SELECT version, document, updated_at FROM risk_models WHERE tenant_id = ?`
	qRuleSetVersion = `SELECT version FROM rule_sets WHERE tenant_id = ?`
	qConfigVersion  = `SELECT config_version FROM tenants WHERE id = ?`
)

const userColumns = `tenant_id, uid, user_id, kind, profile, evaluation, risk, rules, max_timestamp, last_seq, created_at, updated_at, terms, fold_index`

const entryColumns = `tenant_id, user_uid, seq, type, timestamp, coalesce(event_kind, ''), coalesce(event_id, ''),
	body, request_hash, evaluation, response, shadow, created_at`

func (t *sqlTx) TenantByName(ctx context.Context, name string) (vigil.Tenant, error) {
	var tn vigil.Tenant
	err := t.q().QueryRowContext(ctx, `SELECT id, name, created_at FROM tenants WHERE name = ?`, name).
		Scan(&tn.ID, &tn.Name, &tn.CreatedAt)
	return tn, notFound(err)
}

func (t *sqlTx) CreateTenant(ctx context.Context, tn vigil.Tenant) error {
	_, err := t.q().ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)`,
		tn.ID, tn.Name, tn.CreatedAt)
	return duplicate(err)
}

func (t *sqlTx) CreateKey(ctx context.Context, k vigil.APIKey) error {
	_, err := t.q().ExecContext(ctx, `INSERT INTO api_keys (id, key_hash, tenant_id, name, scopes, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, k.ID, k.Hash, k.TenantID, k.Name, vigil.JoinScopes(k.Scopes), k.CreatedAt)
	return duplicate(err)
}

// LockUser needs no lock: the single writer already serialises every write.
func (t *sqlTx) LockUser(ctx context.Context, tenantID, userID string) (vigil.UserRecord, error) {
	return readUser(ctx, t.q(), tenantID, userID)
}

func (t *sqlTx) ConfigVersion(ctx context.Context, tenantID string) (int64, error) {
	var v int64
	err := t.q().QueryRowContext(ctx, qConfigVersion, tenantID).Scan(&v)
	return v, notFound(err)
}

func (t *sqlTx) LatestResponse(ctx context.Context, tenantID, userUID string) ([]byte, error) {
	var response []byte
	err := t.q().QueryRowContext(ctx, qLatestResponse, tenantID, userUID).Scan(&response)
	return response, notFound(err)
}

// WriteUser runs the statements one after the other: they are local calls, not round trips.
func (t *sqlTx) WriteUser(ctx context.Context, u vigil.UserRecord, create bool, entries []vigil.Entry, deliveries []vigil.Delivery, audit vigil.AuditRecord) error {
	var err error
	if create {
		err = t.InsertUser(ctx, u)
	} else {
		err = t.UpdateUser(ctx, u)
	}
	if err != nil {
		return err
	}
	return t.writeRows(ctx, entries, deliveries, audit)
}

// writeRows inserts a write's history entries, outbox deliveries and audit record, in order.
func (t *sqlTx) writeRows(ctx context.Context, entries []vigil.Entry, deliveries []vigil.Delivery, audit vigil.AuditRecord) error {
	for _, e := range entries {
		if err := t.InsertEntry(ctx, e); err != nil {
			return err
		}
	}
	for _, d := range deliveries {
		if err := t.InsertDelivery(ctx, d); err != nil {
			return err
		}
	}
	return t.AppendAudit(ctx, audit)
}

func (t *sqlTx) WriteUserIf(ctx context.Context, based vigil.UserVersion, u vigil.UserRecord, entries []vigil.Entry, deliveries []vigil.Delivery, audit vigil.AuditRecord) (bool, error) {
	res, err := t.q().ExecContext(ctx, qUpdateUserIf,
		string(u.Kind), u.Profile, u.Evaluation, u.Risk, u.Rules, u.MaxTimestamp, u.LastSeq, u.UpdatedAt, u.Terms, u.FoldIndex,
		u.TenantID, based.UserID, based.UID, based.LastSeq, u.TenantID, based.ConfigVersion)
	if err != nil {
		return false, duplicate(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if err := t.writeTerms(ctx, u); err != nil {
		return true, err
	}
	return true, t.writeRows(ctx, entries, deliveries, audit)
}

func (t *sqlTx) InsertUser(ctx context.Context, u vigil.UserRecord) error {
	_, err := t.q().ExecContext(ctx, qInsertUser,
		u.TenantID, u.UID, u.UserID, string(u.Kind), u.Profile, u.Evaluation, u.Risk, u.Rules, u.MaxTimestamp, u.LastSeq,
		u.CreatedAt, u.UpdatedAt, u.Terms, u.FoldIndex)
	if err != nil {
		return duplicate(err)
	}
	return t.writeTerms(ctx, u)
}

func (t *sqlTx) UpdateUser(ctx context.Context, u vigil.UserRecord) error {
	res, err := t.q().ExecContext(ctx, qUpdateUser,
		u.UserID, string(u.Kind), u.Profile, u.Evaluation, u.Risk, u.Rules, u.MaxTimestamp, u.LastSeq, u.UpdatedAt, u.Terms, u.FoldIndex, u.TenantID, u.UID)
	if err != nil {
		return duplicate(err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return vigil.ErrNotFound
	}
	return t.writeTerms(ctx, u)
}

func (t *sqlTx) Entries(ctx context.Context, tenantID, userUID string) ([]vigil.Entry, error) {
	return readEntries(ctx, t.q(), tenantID, userUID)
}

func readEntries(ctx context.Context, q querier, tenantID, userUID string) ([]vigil.Entry, error) {
	rows, err := q.QueryContext(ctx, qEntries, tenantID, userUID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.Collect(rows, sqlrow.Entry)
}

func (t *sqlTx) EventByID(ctx context.Context, tenantID string, kind vigil.Kind, eventID string) (vigil.Entry, error) {
	return readEvent(ctx, t.q(), tenantID, kind, eventID)
}

func (t *sqlTx) InsertEntry(ctx context.Context, e vigil.Entry) error {
	_, err := t.q().ExecContext(ctx, qInsertEntry,
		e.TenantID, e.UserUID, e.Seq, string(e.Type), e.Timestamp, nullString(string(e.EventKind)), nullString(e.EventID),
		e.Body, e.RequestHash, e.Evaluation, e.Response, e.Shadow, e.Risk, e.CreatedAt)
	if err != nil {
		return duplicate(err)
	}
	return t.countHits(e)
}

func (t *sqlTx) PutRiskModel(ctx context.Context, m vigil.RiskModelRecord) error {
	if _, err := t.q().ExecContext(ctx, `INSERT INTO risk_models (tenant_id, version, document, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version, document = excluded.document,
		updated_at = excluded.updated_at`, m.TenantID, m.Version, m.Document, m.UpdatedAt); err != nil {
		return err
	}
	if _, err := t.q().ExecContext(ctx, `INSERT INTO risk_model_versions (tenant_id, version, document, created_at)
		VALUES (?, ?, ?, ?)`, m.TenantID, m.Version, m.Document, m.UpdatedAt); err != nil {
		return duplicate(err)
	}
	return t.configChanged(ctx, m.TenantID)
}

// configChanged counts a change of the tenant's risk model, rules or webhook endpoints.
func (t *sqlTx) configChanged(ctx context.Context, tenantID string) error {
	_, err := t.q().ExecContext(ctx, `UPDATE tenants SET config_version = config_version + 1 WHERE id = ?`, tenantID)
	return err
}

func (t *sqlTx) PutRule(ctx context.Context, r vigil.RuleRecord) error {
	if _, err := t.q().ExecContext(ctx, `INSERT INTO rules (tenant_id, rule_instance_id, version_id, document, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, rule_instance_id) DO UPDATE SET version_id = excluded.version_id,
		document = excluded.document, updated_at = excluded.updated_at`,
		r.TenantID, r.RuleInstanceID, r.VersionID, r.Document, r.UpdatedAt); err != nil {
		return err
	}
	return t.recordRuleVersion(ctx, r.TenantID, r.RuleInstanceID, r.VersionID, r.Document, r.UpdatedAt)
}

func (t *sqlTx) DeleteRule(ctx context.Context, tenantID, ruleInstanceID, versionID string, at int64) error {
	res, err := t.q().ExecContext(ctx, `DELETE FROM rules WHERE tenant_id = ? AND rule_instance_id = ?`, tenantID, ruleInstanceID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return vigil.ErrNotFound
	}
	return t.recordRuleVersion(ctx, tenantID, ruleInstanceID, versionID, nil, at)
}

func (t *sqlTx) recordRuleVersion(ctx context.Context, tenantID, ruleInstanceID, versionID string, doc []byte, at int64) error {
	if err := t.configChanged(ctx, tenantID); err != nil {
		return err
	}
	if _, err := t.q().ExecContext(ctx, `INSERT INTO rule_versions (tenant_id, rule_instance_id, version_id, document, created_at)
		VALUES (?, ?, ?, ?, ?)`, tenantID, ruleInstanceID, versionID, doc, at); err != nil {
		return duplicate(err)
	}
	_, err := t.q().ExecContext(ctx, `INSERT INTO rule_sets (tenant_id, version) VALUES (?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version`, tenantID, versionID)
	return err
}

func (t *sqlTx) PutBatch(ctx context.Context, b vigil.BatchRecord) error {
	if _, err := t.q().ExecContext(ctx, `INSERT INTO batches (tenant_id, kind, batch_id, request_hash, response, successful,
		created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, b.TenantID, b.Kind, b.BatchID, b.RequestHash, b.Response, b.Successful,
		b.CreatedAt); err != nil {
		return duplicate(err)
	}
	stmt, err := t.conn.PrepareContext(writerContext, `INSERT INTO batch_records (tenant_id, kind, batch_id, position, user_uid, seq)
		VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range b.Records {
		if _, err := stmt.ExecContext(writerContext, b.TenantID, b.Kind, b.BatchID, r.Position, r.UserUID, r.Seq); err != nil {
			return err
		}
	}
	return nil
}

// Batch implements vigil.Store.
func (s *Store) Batch(ctx context.Context, tenantID, kind, batchID string) (vigil.BatchRecord, error) {
	b := vigil.BatchRecord{TenantID: tenantID, Kind: kind, BatchID: batchID}
	err := s.read.QueryRowContext(ctx, `SELECT request_hash, response, successful, created_at FROM batches
		WHERE tenant_id = ? AND kind = ? AND batch_id = ?`, tenantID, kind, batchID).
		Scan(&b.RequestHash, &b.Response, &b.Successful, &b.CreatedAt)
	return b, notFound(err)
}

// BatchEntries implements vigil.Store.
func (s *Store) BatchEntries(ctx context.Context, tenantID, kind, batchID string, offset, limit int) ([]vigil.Entry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT e.tenant_id, e.user_uid, e.seq, e.type, e.timestamp,
		coalesce(e.event_kind, ''), coalesce(e.event_id, ''), e.body, e.evaluation, e.response FROM batch_records r
		JOIN user_entries e ON e.tenant_id = r.tenant_id AND e.user_uid = r.user_uid AND e.seq = r.seq
		WHERE r.tenant_id = ? AND r.kind = ? AND r.batch_id = ? ORDER BY r.position LIMIT ? OFFSET ?`,
		tenantID, kind, batchID, limit, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.EntryWithResults)
	return out, err
}

// RuleSetVersion implements vigil.Store.
func (s *Store) RuleSetVersion(ctx context.Context, tenantID string) (string, error) {
	var v string
	err := s.reads().QueryRowContext(ctx, qRuleSetVersion, tenantID).Scan(&v)
	return v, notFound(err)
}

// ConfigVersion implements vigil.Store.
func (s *Store) ConfigVersion(ctx context.Context, tenantID string) (int64, error) {
	var v int64
	err := s.reads().QueryRowContext(ctx, qConfigVersion, tenantID).Scan(&v)
	return v, notFound(err)
}

// Rules implements vigil.Store.
func (s *Store) Rules(ctx context.Context, tenantID string) ([]vigil.RuleRecord, error) {
	return scanRules(s.read.QueryContext(ctx, `SELECT tenant_id, rule_instance_id, version_id, document, updated_at
		FROM rules WHERE tenant_id = ? ORDER BY rule_instance_id`, tenantID))
}

// RuleVersions implements vigil.Store.
func (s *Store) RuleVersions(ctx context.Context, tenantID, ruleInstanceID string) ([]vigil.RuleRecord, error) {
	return scanRules(s.read.QueryContext(ctx, `SELECT tenant_id, rule_instance_id, version_id, document, created_at
		FROM rule_versions WHERE tenant_id = ? AND rule_instance_id = ? ORDER BY created_at, version_id`, tenantID, ruleInstanceID))
}

func scanRules(rows *sql.Rows, err error) ([]vigil.RuleRecord, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.Rule)
	return out, err
}

// RiskModel implements vigil.Store.
func (s *Store) RiskModel(ctx context.Context, tenantID string) (vigil.RiskModelRecord, error) {
	m := vigil.RiskModelRecord{TenantID: tenantID}
	err := s.reads().QueryRowContext(ctx, qRiskModel, tenantID).
		Scan(&m.Version, &m.Document, &m.UpdatedAt)
	return m, notFound(err)
}

// CountKeys implements vigil.Store.
func (s *Store) CountKeys(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM api_keys`).Scan(&n)
	return n, err
}

// User implements vigil.Store.
func (s *Store) User(ctx context.Context, tenantID, userID string) (vigil.UserRecord, error) {
	return readUser(ctx, s.reads(), tenantID, userID)
}

// UserEntries implements vigil.Store.
func (s *Store) UserEntries(ctx context.Context, tenantID, userUID string) ([]vigil.Entry, error) {
	return readEntries(ctx, s.reads(), tenantID, userUID)
}

// EntryResults implements vigil.Store.
func (s *Store) EntryResults(ctx context.Context, tenantID, userUID string, seq int64) (vigil.Entry, error) {
	e, err := sqlrow.EntryWithRisk(s.reads().QueryRowContext(ctx, `SELECT `+entryColumns+`, risk FROM user_entries
		WHERE tenant_id = ? AND user_uid = ? AND seq = ?`, tenantID, userUID, seq))
	return e, notFound(err)
}

// UserWithResponse implements vigil.Store.
func (s *Store) UserWithResponse(ctx context.Context, tenantID, userID string) (vigil.UserRecord, []byte, error) {
	var response []byte
	u, err := sqlrow.UserWith(s.reads().QueryRowContext(ctx, qReadUserWithResponse, tenantID, userID), &response)
	return u, response, notFound(err)
}

// Event implements vigil.Store.
func (s *Store) Event(ctx context.Context, tenantID string, kind vigil.Kind, eventID string) (vigil.Entry, error) {
	return readEvent(ctx, s.reads(), tenantID, kind, eventID)
}

func readUser(ctx context.Context, q querier, tenantID, userID string) (vigil.UserRecord, error) {
	u, err := sqlrow.UserWith(q.QueryRowContext(ctx, qReadUser, tenantID, userID))
	return u, notFound(err)
}

func readEvent(ctx context.Context, q querier, tenantID string, kind vigil.Kind, eventID string) (vigil.Entry, error) {
	var e vigil.Entry
	var typ, ekind string
	err := q.QueryRowContext(ctx, qReadEvent, tenantID, string(kind), eventID).
		Scan(&e.TenantID, &e.UserUID, &e.Seq, &typ, &e.Timestamp, &ekind, &e.EventID, &e.Body, &e.RequestHash,
			&e.Evaluation, &e.Response, &e.Shadow, &e.CreatedAt)
	e.Type, e.EventKind = vigil.EntryType(typ), vigil.Kind(ekind)
	return e, notFound(err)
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return vigil.ErrNotFound
	}
	return err
}

// duplicate maps a uniqueness violation to vigil.ErrDuplicate.
func duplicate(err error) error {
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return errors.Join(vigil.ErrDuplicate, err)
	}
	return err
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
