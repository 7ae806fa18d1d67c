package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// Sealed records are in audit_log, ordered by their place in the chain; records waiting for the
// sealer (written while a tenant had older unsealed ones: audit_chain.go) in audit_unsealed.
const (
	// qInsertAudit is a change's record while its tenant has unsealed ones, prepared with the
	// writer's statements (prepared.go).
	qInsertAudit = `INSERT INTO audit_unsealed (tenant_id, id, at, actor, request_id, action, target, digest)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	// qUnsealedColumns reads an unsealed record as sqlrow.Audit does a sealed one.
	qUnsealedColumns = `tenant_id, id, 0, at, actor, request_id, action, target, digest, NULL, NULL`
	// qUnqueueAudit takes a record the sealer chains out of audit_unsealed.
	qUnqueueAudit = `DELETE FROM audit_unsealed WHERE tenant_id = ? AND id = ?`
)

// InsertAudit implements vigil.Tx: the record waits in audit_unsealed for the sealer.
func (t *sqlTx) InsertAudit(ctx context.Context, r vigil.AuditRecord) error {
	_, err := t.q().ExecContext(ctx, qInsertAudit, r.TenantID, r.ID, r.At, r.Actor, r.RequestID, r.Action, r.Target, r.Digest)
	return duplicate(err)
}

// LockAuditHead needs no lock: the single writer already serialises every write. The head is
// the group's (auditChain), which SealAudit moves.
func (t *sqlTx) LockAuditHead(ctx context.Context, tenantID string) (vigil.AuditHead, error) {
	h, err := t.chain.head(t.q(), tenantID)
	if err != nil {
		return vigil.AuditHead{}, err
	}
	return h.head, nil
}

// UnsealedAuditRecords implements vigil.Tx.
func (t *sqlTx) UnsealedAuditRecords(ctx context.Context, tenantID string, limit int) ([]vigil.AuditRecord, error) {
	rows, err := t.q().QueryContext(ctx, `SELECT `+qUnsealedColumns+` FROM audit_unsealed
		WHERE tenant_id = ? ORDER BY at, id LIMIT ?`, tenantID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.Collect(rows, sqlrow.Audit)
}

// SealAudit implements vigil.Tx.
func (t *sqlTx) SealAudit(ctx context.Context, records []vigil.AuditRecord) error {
	if len(records) == 0 {
		return nil
	}
	for _, r := range records {
		res, err := t.q().ExecContext(ctx, qUnqueueAudit, r.TenantID, r.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("sqlite: seal audit record %s: %d rows, %w", r.ID, n, err)
		}
		if _, err := t.q().ExecContext(ctx, qInsertSealedAudit, r.TenantID, r.ID, r.Seq, r.At, r.Actor, r.RequestID,
			r.Action, r.Target, r.Digest, r.PrevHash, r.Hash); err != nil {
			return duplicate(err)
		}
	}
	last := records[len(records)-1]
	if _, err := t.chain.head(t.q(), last.TenantID); err != nil {
		return err
	}
	t.chain.move(last.TenantID, vigil.AuditHead{Seq: last.Seq, Hash: last.Hash})
	return nil
}

// AuditRecords implements vigil.Store.
func (s *Store) AuditRecords(ctx context.Context, tenantID string, after int64, limit int) ([]vigil.AuditRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+sqlrow.AuditColumns+` FROM audit_log
		WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`, tenantID, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.Collect(rows, sqlrow.Audit)
}

// AuditHead implements vigil.Store.
func (s *Store) AuditHead(ctx context.Context, tenantID string) (vigil.AuditHead, error) {
	var h vigil.AuditHead
	err := s.read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = ?`, tenantID).Scan(&h.Seq, &h.Hash)
	if errors.Is(notFound(err), vigil.ErrNotFound) {
		return vigil.AuditHead{}, nil
	}
	return h, err
}

// UnsealedAudit implements vigil.Store.
func (s *Store) UnsealedAudit(ctx context.Context, tenantID string, before int64) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM audit_unsealed WHERE tenant_id = ? AND at < ?`,
		tenantID, before).Scan(&n)
	return n, err
}

// UnsealedAuditTenants implements vigil.Store.
func (s *Store) UnsealedAuditTenants(ctx context.Context) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT tenant_id FROM audit_unsealed`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// RiskModelVersions implements vigil.Store.
func (s *Store) RiskModelVersions(ctx context.Context, tenantID string) ([]vigil.RiskModelRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT version, document, created_at FROM risk_model_versions
		WHERE tenant_id = ? ORDER BY created_at, version`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vigil.RiskModelRecord
	for rows.Next() {
		m := vigil.RiskModelRecord{TenantID: tenantID}
		if err := rows.Scan(&m.Version, &m.Document, &m.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
