package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// SQLite seals each audit record as its change writes it (vigil.AuditTx.AppendAudit): the single
// writer serialises every write, and its group's transaction holds the database's write lock,
// so the chain heads it read stay its own until it commits. An auditChain is one group's view of
// those heads: each is read at its first use in the group and written once, when the group ends
// (flush), however many records moved it. This saves what sealing afterwards cost: a second
// write of every record, its entries in the unsealed index, and the sealer's transactions queued
// behind the events (BENCHMARKS.md).

// The chain's statements, prepared with the writer's (prepared.go).
const (
	qChainHead     = `SELECT seq, hash FROM audit_heads WHERE tenant_id = ?`
	qChainUnsealed = `SELECT EXISTS (SELECT 1 FROM audit_unsealed WHERE tenant_id = ?)`
	qChainStore    = `INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`
	qInsertSealedAudit = `INSERT INTO audit_log (tenant_id, id, seq, at, actor, request_id, action, target, digest, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// auditChain holds the heads of the tenants a writer group's units have written records of.
type auditChain struct {
	heads map[string]*chainHead
	// undo holds, in order, every change to heads since the group began, so that a unit rolled
	// back to its savepoint takes its changes back with it (rewind).
	undo []chainUndo
}

// chainHead is one tenant's head as the group's transaction sees it.
type chainHead struct {
	head vigil.AuditHead
	// sealing is whether records appended now are sealed at once: the tenant had no unsealed
	// records when the group read its head (a database from a build before sealing at insert,
	// or another process's records). Those come first in the chain, so until the sealer has
	// chained them (a later group), appended records wait for it too.
	sealing bool
	// moved is whether head is not the stored one, for flush.
	moved bool
}

// chainUndo is a head's value before a change; loaded means there was none (the change read it).
type chainUndo struct {
	tenant string
	before chainHead
	loaded bool
}

func newAuditChain() *auditChain { return &auditChain{heads: map[string]*chainHead{}} }

// head returns tenant's head, reading it and whether the tenant has unsealed records on first use.
func (c *auditChain) head(q txQueries, tenant string) (*chainHead, error) {
	if h, ok := c.heads[tenant]; ok {
		return h, nil
	}
	h := &chainHead{}
	err := q.QueryRowContext(writerContext, qChainHead, tenant).Scan(&h.head.Seq, &h.head.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var unsealed bool
	if err := q.QueryRowContext(writerContext, qChainUnsealed, tenant).Scan(&unsealed); err != nil {
		return nil, err
	}
	h.sealing = !unsealed
	c.heads[tenant] = h
	c.undo = append(c.undo, chainUndo{tenant: tenant, loaded: true})
	return h, nil
}

// move makes head tenant's head, which head has read.
func (c *auditChain) move(tenant string, head vigil.AuditHead) {
	h := c.heads[tenant]
	c.undo = append(c.undo, chainUndo{tenant: tenant, before: *h})
	h.head, h.moved = head, true
}

// mark is where a unit begins, for rewind.
func (c *auditChain) mark() int { return len(c.undo) }

// rewind takes back every change since mark: its unit was rolled back.
func (c *auditChain) rewind(mark int) {
	for i := len(c.undo) - 1; i >= mark; i-- {
		u := c.undo[i]
		if u.loaded {
			delete(c.heads, u.tenant)
		} else {
			*c.heads[u.tenant] = u.before
		}
	}
	c.undo = c.undo[:mark]
}

// flush stores the heads the group moved, in its transaction.
func (c *auditChain) flush(q txQueries) error {
	for tenant, h := range c.heads {
		if !h.moved {
			continue
		}
		if _, err := q.ExecContext(writerContext, qChainStore, tenant, h.head.Seq, h.head.Hash); err != nil {
			return err
		}
	}
	return nil
}

// AppendAudit implements vigil.Tx: the record is sealed after its tenant's head, unless the
// tenant has unsealed records (see chainHead.sealing).
func (t *sqlTx) AppendAudit(ctx context.Context, r vigil.AuditRecord) error {
	h, err := t.chain.head(t.q(), r.TenantID)
	if err != nil {
		return err
	}
	if !h.sealing {
		return t.InsertAudit(ctx, r)
	}
	next := vigil.ChainAudit(h.head, &r)
	if _, err := t.q().ExecContext(ctx, qInsertSealedAudit, r.TenantID, r.ID, r.Seq, r.At, r.Actor, r.RequestID,
		r.Action, r.Target, r.Digest, r.PrevHash, r.Hash); err != nil {
		return duplicate(err)
	}
	t.chain.move(r.TenantID, next)
	return nil
}
