package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// pgTx implements vigil.Tx in one PostgreSQL transaction.
type pgTx struct {
	tx conn
}

const userColumns = `tenant_id, uid, user_id, kind, profile, evaluation, risk, rules, max_timestamp, last_seq, created_at, updated_at, terms, fold_index`

const entryColumns = `tenant_id, user_uid, seq, type, timestamp, coalesce(event_kind, ''), coalesce(event_id, ''),
	body, request_hash, evaluation, response, shadow, created_at`

func (t *pgTx) TenantByName(ctx context.Context, name string) (vigil.Tenant, error) {
	var tn vigil.Tenant
	err := t.tx.QueryRow(ctx, `SELECT id, name, created_at FROM tenants WHERE name = $1`, name).
		Scan(&tn.ID, &tn.Name, &tn.CreatedAt)
	return tn, mapError(err)
}

func (t *pgTx) CreateTenant(ctx context.Context, tn vigil.Tenant) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)`, tn.ID, tn.Name, tn.CreatedAt)
	return mapError(err)
}

func (t *pgTx) CreateKey(ctx context.Context, k vigil.APIKey) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO api_keys (id, key_hash, tenant_id, name, scopes, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, k.ID, k.Hash, k.TenantID, k.Name, vigil.JoinScopes(k.Scopes), k.CreatedAt)
	return mapError(err)
}

// LockUser takes the user's row lock until the transaction ends, so writes to one user are
// serialised across every server process.
func (t *pgTx) LockUser(ctx context.Context, tenantID, userID string) (vigil.UserRecord, error) {
	return readUser(ctx, t.tx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE`, tenantID, userID)
}

func (t *pgTx) ConfigVersion(ctx context.Context, tenantID string) (int64, error) {
	var v int64
	err := t.tx.QueryRow(ctx, `SELECT config_version FROM tenants WHERE id = $1`, tenantID).Scan(&v)
	return v, mapError(err)
}

func (t *pgTx) LatestResponse(ctx context.Context, tenantID, userUID string) ([]byte, error) {
	var response []byte
	err := t.tx.QueryRow(ctx, `SELECT response FROM user_entries WHERE tenant_id = $1 AND user_uid = $2
		AND response IS NOT NULL ORDER BY seq DESC LIMIT 1`, tenantID, userUID).Scan(&response)
	return response, mapError(err)
}

func (t *pgTx) InsertUser(ctx context.Context, u vigil.UserRecord) error {
	return t.sendBatch(ctx, appendTerms([]statement{insertUser(u)}, u))
}

func (t *pgTx) UpdateUser(ctx context.Context, u vigil.UserRecord) error {
	return t.sendBatch(ctx, appendTerms([]statement{updateUser(u)}, u))
}

func (t *pgTx) Entries(ctx context.Context, tenantID, userUID string) ([]vigil.Entry, error) {
	return readEntries(ctx, t.tx, tenantID, userUID)
}

func readEntries(ctx context.Context, q querier, tenantID, userUID string) ([]vigil.Entry, error) {
	rows, err := q.Query(ctx, `SELECT tenant_id, user_uid, seq, type, timestamp, coalesce(event_kind, ''),
		coalesce(event_id, ''), body FROM user_entries WHERE tenant_id = $1 AND user_uid = $2 ORDER BY seq`, tenantID, userUID)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.Entry)
	return out, mapError(err)
}

func (t *pgTx) EventByID(ctx context.Context, tenantID string, kind vigil.Kind, eventID string) (vigil.Entry, error) {
	return readEvent(ctx, t.tx, tenantID, kind, eventID)
}

func (t *pgTx) InsertEntry(ctx context.Context, e vigil.Entry) error {
	if err := t.exec(ctx, insertEntry(e)); err != nil {
		return err
	}
	if hits := addHits([]vigil.Entry{e}); hits != nil {
		return t.exec(ctx, *hits)
	}
	return nil
}

func (t *pgTx) PutRiskModel(ctx context.Context, m vigil.RiskModelRecord) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO risk_models (tenant_id, version, document, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version, document = excluded.document,
		updated_at = excluded.updated_at`, m.TenantID, m.Version, m.Document, m.UpdatedAt); err != nil {
		return mapError(err)
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO risk_model_versions (tenant_id, version, document, created_at)
		VALUES ($1, $2, $3, $4)`, m.TenantID, m.Version, m.Document, m.UpdatedAt); err != nil {
		return mapError(err)
	}
	return t.configChanged(ctx, m.TenantID)
}

// configChanged counts a change of the tenant's risk model, rules or webhook endpoints.
func (t *pgTx) configChanged(ctx context.Context, tenantID string) error {
	_, err := t.tx.Exec(ctx, `UPDATE tenants SET config_version = config_version + 1 WHERE id = $1`, tenantID)
	return mapError(err)
}

func (t *pgTx) PutRule(ctx context.Context, r vigil.RuleRecord) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO rules (tenant_id, rule_instance_id, version_id, document, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, rule_instance_id) DO UPDATE SET version_id = excluded.version_id,
		document = excluded.document, updated_at = excluded.updated_at`,
		r.TenantID, r.RuleInstanceID, r.VersionID, r.Document, r.UpdatedAt); err != nil {
		return mapError(err)
	}
	return t.recordRuleVersion(ctx, r.TenantID, r.RuleInstanceID, r.VersionID, r.Document, r.UpdatedAt)
}

func (t *pgTx) DeleteRule(ctx context.Context, tenantID, ruleInstanceID, versionID string, at int64) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM rules WHERE tenant_id = $1 AND rule_instance_id = $2`, tenantID, ruleInstanceID)
	if err != nil {
		return mapError(err)
	}
	if tag.RowsAffected() == 0 {
		return vigil.ErrNotFound
	}
	return t.recordRuleVersion(ctx, tenantID, ruleInstanceID, versionID, nil, at)
}

func (t *pgTx) recordRuleVersion(ctx context.Context, tenantID, ruleInstanceID, versionID string, doc []byte, at int64) error {
	if err := t.configChanged(ctx, tenantID); err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO rule_versions (tenant_id, rule_instance_id, version_id, document, created_at)
		VALUES ($1, $2, $3, $4, $5)`, tenantID, ruleInstanceID, versionID, doc, at); err != nil {
		return mapError(err)
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO rule_sets (tenant_id, version) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version`, tenantID, versionID)
	return mapError(err)
}

func (t *pgTx) PutBatch(ctx context.Context, b vigil.BatchRecord) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO batches (tenant_id, kind, batch_id, request_hash, response, successful,
		created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, b.TenantID, b.Kind, b.BatchID, b.RequestHash, b.Response,
		b.Successful, b.CreatedAt); err != nil {
		return mapError(err)
	}
	rows := make([][]any, len(b.Records))
	for i, r := range b.Records {
		rows[i] = []any{b.TenantID, b.Kind, b.BatchID, r.Position, r.UserUID, r.Seq}
	}
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"batch_records"},
		[]string{"tenant_id", "kind", "batch_id", "position", "user_uid", "seq"}, pgx.CopyFromRows(rows))
	return mapError(err)
}

// Batch implements vigil.Store.
func (s *Store) Batch(ctx context.Context, tenantID, kind, batchID string) (vigil.BatchRecord, error) {
	b := vigil.BatchRecord{TenantID: tenantID, Kind: kind, BatchID: batchID}
	err := s.pool.QueryRow(ctx, `SELECT request_hash, response, successful, created_at FROM batches
		WHERE tenant_id = $1 AND kind = $2 AND batch_id = $3`, tenantID, kind, batchID).
		Scan(&b.RequestHash, &b.Response, &b.Successful, &b.CreatedAt)
	return b, mapError(err)
}

// BatchEntries implements vigil.Store.
func (s *Store) BatchEntries(ctx context.Context, tenantID, kind, batchID string, offset, limit int) ([]vigil.Entry, error) {
	// Planned for each call (an unnamed statement, pgx.QueryExecModeCacheDescribe), with the
	// tables' sizes as they are: the generic plan of a prepared statement, made while the tables
	// were nearly empty, joined with a scan of user_entries for every record and ran a
	// 10,000-record page into the 30 s statement timeout (the SDK suite, on a loaded machine).
	// The page is taken from the batch's records before the join, so it joins only the page.
	rows, err := s.pool.Query(ctx, `SELECT e.tenant_id, e.user_uid, e.seq, e.type, e.timestamp,
		coalesce(e.event_kind, ''), coalesce(e.event_id, ''), e.body, e.evaluation, e.response
		FROM (SELECT user_uid, seq, position FROM batch_records WHERE tenant_id = $1 AND kind = $2 AND batch_id = $3
			ORDER BY position LIMIT $4 OFFSET $5) r
		JOIN user_entries e ON e.tenant_id = $1 AND e.user_uid = r.user_uid AND e.seq = r.seq
		ORDER BY r.position`, pgx.QueryExecModeCacheDescribe,
		tenantID, kind, batchID, limit, offset)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.EntryWithResults)
	return out, mapError(err)
}

// RuleSetVersion implements vigil.Store.
func (s *Store) RuleSetVersion(ctx context.Context, tenantID string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT version FROM rule_sets WHERE tenant_id = $1`, tenantID).Scan(&v)
	return v, mapError(err)
}

// ConfigVersion implements vigil.Store.
func (s *Store) ConfigVersion(ctx context.Context, tenantID string) (int64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT config_version FROM tenants WHERE id = $1`, tenantID).Scan(&v)
	return v, mapError(err)
}

// Rules implements vigil.Store.
func (s *Store) Rules(ctx context.Context, tenantID string) ([]vigil.RuleRecord, error) {
	return s.scanRules(ctx, `SELECT tenant_id, rule_instance_id, version_id, document, updated_at
		FROM rules WHERE tenant_id = $1 ORDER BY rule_instance_id`, tenantID)
}

// RuleVersions implements vigil.Store.
func (s *Store) RuleVersions(ctx context.Context, tenantID, ruleInstanceID string) ([]vigil.RuleRecord, error) {
	return s.scanRules(ctx, `SELECT tenant_id, rule_instance_id, version_id, document, created_at
		FROM rule_versions WHERE tenant_id = $1 AND rule_instance_id = $2 ORDER BY created_at, version_id`, tenantID, ruleInstanceID)
}

func (s *Store) scanRules(ctx context.Context, query string, args ...any) ([]vigil.RuleRecord, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.Rule)
	return out, mapError(err)
}

// RiskModel implements vigil.Store.
func (s *Store) RiskModel(ctx context.Context, tenantID string) (vigil.RiskModelRecord, error) {
	m := vigil.RiskModelRecord{TenantID: tenantID}
	err := s.pool.QueryRow(ctx, `SELECT version, document, updated_at FROM risk_models WHERE tenant_id = $1`, tenantID).
		Scan(&m.Version, &m.Document, &m.UpdatedAt)
	return m, mapError(err)
}

// querier is what reads need from a transaction or the pool.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// CountKeys implements vigil.Store.
func (s *Store) CountKeys(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys`).Scan(&n)
	return n, mapError(err)
}

// User implements vigil.Store.
func (s *Store) User(ctx context.Context, tenantID, userID string) (vigil.UserRecord, error) {
	return readUser(ctx, s.pool, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
}

// UserEntries implements vigil.Store.
func (s *Store) UserEntries(ctx context.Context, tenantID, userUID string) ([]vigil.Entry, error) {
	return readEntries(ctx, s.pool, tenantID, userUID)
}

// EntryResults implements vigil.Store.
func (s *Store) EntryResults(ctx context.Context, tenantID, userUID string, seq int64) (vigil.Entry, error) {
	e, err := sqlrow.EntryWithRisk(s.pool.QueryRow(ctx, `SELECT `+entryColumns+`, risk FROM user_entries
		WHERE tenant_id = $1 AND user_uid = $2 AND seq = $3`, tenantID, userUID, seq))
	return e, mapError(err)
}

// UserWithResponse implements vigil.Store.
func (s *Store) UserWithResponse(ctx context.Context, tenantID, userID string) (vigil.UserRecord, []byte, error) {
	var response []byte
	u, err := sqlrow.UserWith(s.pool.QueryRow(ctx, `SELECT `+userColumns+`, (SELECT e.response FROM user_entries e
		WHERE e.tenant_id = u.tenant_id AND e.user_uid = u.uid AND e.response IS NOT NULL ORDER BY e.seq DESC LIMIT 1)
		FROM users u WHERE u.tenant_id = $1 AND u.user_id = $2`, tenantID, userID), &response)
	return u, response, mapError(err)
}

// Event implements vigil.Store.
func (s *Store) Event(ctx context.Context, tenantID string, kind vigil.Kind, eventID string) (vigil.Entry, error) {
	return readEvent(ctx, s.pool, tenantID, kind, eventID)
}

func readUser(ctx context.Context, q querier, query, tenantID, userID string) (vigil.UserRecord, error) {
	u, err := sqlrow.UserWith(q.QueryRow(ctx, query, tenantID, userID))
	return u, mapError(err)
}

func readEvent(ctx context.Context, q querier, tenantID string, kind vigil.Kind, eventID string) (vigil.Entry, error) {
	var e vigil.Entry
	var typ, ekind string
	err := q.QueryRow(ctx, `SELECT `+entryColumns+` FROM user_entries
		WHERE tenant_id = $1 AND event_kind = $2 AND event_id = $3`, tenantID, string(kind), eventID).
		Scan(&e.TenantID, &e.UserUID, &e.Seq, &typ, &e.Timestamp, &ekind, &e.EventID, &e.Body, &e.RequestHash,
			&e.Evaluation, &e.Response, &e.Shadow, &e.CreatedAt)
	e.Type, e.EventKind = vigil.EntryType(typ), vigil.Kind(ekind)
	return e, mapError(err)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
