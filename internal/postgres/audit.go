package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// InsertAudit implements vigil.Tx.
func (t *pgTx) InsertAudit(ctx context.Context, r vigil.AuditRecord) error {
	return t.exec(ctx, insertAudit(r))
}

// AppendAudit adds the record unsealed: PostgreSQL's writers run concurrently, and chaining at
// insert would make each wait on its tenant's head row; the sealer chains it.
func (t *pgTx) AppendAudit(ctx context.Context, r vigil.AuditRecord) error {
	return t.InsertAudit(ctx, r)
}

// LockAuditHead locks the tenant's head row (FOR UPDATE): a second sealer of the tenant, in any
// process, waits for this one's commit and then reads the head it left, so no two records get
// one seq. Writers never touch the row: only sealers wait on it.
func (t *pgTx) LockAuditHead(ctx context.Context, tenantID string) (vigil.AuditHead, error) {
	if _, err := t.tx.Exec(ctx, `INSERT INTO audit_heads (tenant_id, seq) VALUES ($1, 0)
		ON CONFLICT (tenant_id) DO NOTHING`, tenantID); err != nil {
		return vigil.AuditHead{}, mapError(err)
	}
	var h vigil.AuditHead
	err := t.tx.QueryRow(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1 FOR UPDATE`, tenantID).Scan(&h.Seq, &h.Hash)
	return h, mapError(err)
}

// UnsealedAuditRecords implements vigil.Tx. Under READ COMMITTED it runs after the head's lock
// was granted, so it sees every record a sealer before it sealed.
func (t *pgTx) UnsealedAuditRecords(ctx context.Context, tenantID string, limit int) ([]vigil.AuditRecord, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+sqlrow.AuditColumns+` FROM audit_log
		WHERE tenant_id = $1 AND seq IS NULL ORDER BY at, id LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.Audit)
	return out, mapError(err)
}

// SealAudit updates every record in one statement (from arrays) and then the head.
func (t *pgTx) SealAudit(ctx context.Context, records []vigil.AuditRecord) error {
	if len(records) == 0 {
		return nil
	}
	ids, seqs := make([]string, len(records)), make([]int64, len(records))
	prevs, hashes := make([][]byte, len(records)), make([][]byte, len(records))
	for i, r := range records {
		ids[i], seqs[i], prevs[i], hashes[i] = r.ID, r.Seq, r.PrevHash, r.Hash
	}
	last := records[len(records)-1]
	tag, err := t.tx.Exec(ctx, `UPDATE audit_log a SET seq = v.seq, prev_hash = v.prev, hash = v.hash
		FROM unnest($2::text[], $3::bigint[], $4::bytea[], $5::bytea[]) AS v(id, seq, prev, hash)
		WHERE a.tenant_id = $1 AND a.id = v.id AND a.seq IS NULL`, last.TenantID, ids, seqs, prevs, hashes)
	if err != nil {
		return mapError(err)
	}
	if tag.RowsAffected() != int64(len(records)) {
		return fmt.Errorf("postgres: sealed %d of %d audit records", tag.RowsAffected(), len(records))
	}
	_, err = t.tx.Exec(ctx, `UPDATE audit_heads SET seq = $1, hash = $2 WHERE tenant_id = $3`, last.Seq, last.Hash, last.TenantID)
	return mapError(err)
}

// AuditRecords implements vigil.Store.
func (s *Store) AuditRecords(ctx context.Context, tenantID string, after int64, limit int) ([]vigil.AuditRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.AuditColumns+` FROM audit_log
		WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, tenantID, after, limit)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.Audit)
	return out, mapError(err)
}

// AuditHead implements vigil.Store.
func (s *Store) AuditHead(ctx context.Context, tenantID string) (vigil.AuditHead, error) {
	var h vigil.AuditHead
	err := s.pool.QueryRow(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`, tenantID).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return vigil.AuditHead{}, nil
	}
	return h, mapError(err)
}

// UnsealedAudit implements vigil.Store.
func (s *Store) UnsealedAudit(ctx context.Context, tenantID string, before int64) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND seq IS NULL AND at < $2`,
		tenantID, before).Scan(&n)
	return n, mapError(err)
}

// UnsealedAuditTenants implements vigil.Store.
func (s *Store) UnsealedAuditTenants(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT tenant_id FROM audit_log WHERE seq IS NULL`)
	if err != nil {
		return nil, mapError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, mapError(err)
}

// RiskModelVersions implements vigil.Store.
func (s *Store) RiskModelVersions(ctx context.Context, tenantID string) ([]vigil.RiskModelRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, document, created_at FROM risk_model_versions
		WHERE tenant_id = $1 ORDER BY created_at, version`, tenantID)
	if err != nil {
		return nil, mapError(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (vigil.RiskModelRecord, error) {
		m := vigil.RiskModelRecord{TenantID: tenantID}
		err := row.Scan(&m.Version, &m.Document, &m.UpdatedAt)
		return m, err
	})
	return out, mapError(err)
}
