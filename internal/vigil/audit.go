package vigil

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
)

// The audit log: every change writes one AuditRecord in its own transaction (no change without
// its record, no record without its change), through Tx.AppendAudit. Where writers run
// concurrently (PostgreSQL) records are written unsealed, so the writers never wait on each
// other for the log, and the sealer (SealAudit) chains them afterwards; SQLite's single writer
// chains each record as it writes it. docs/audit.md describes the format, the hash and what the
// chain proves.

// Audit actions of the changes the service makes. Other changes (key revocations, rate limits,
// erasures) name their own: "<subject>.<verb>".
const (
	AuditUserCreate     = "user.create"
	AuditUserUpdate     = "user.update"
	AuditUserEvent      = "user.event"
	AuditBatchCreate    = "batch.create"
	AuditRulePut        = "rule.put"
	AuditRuleApply      = "rule.apply"
	AuditRuleSeed       = "rule.seed"
	AuditRuleDelete     = "rule.delete"
	AuditRiskModelPut   = "risk_model.put"
	AuditWebhookCreate  = "webhook.create"
	AuditWebhookDelete  = "webhook.delete"
	AuditWebhookRotate  = "webhook.rotate"
	AuditDeliveryRetry  = "webhook_delivery.retry"
	AuditTenantCreate   = "tenant.create"
	AuditKeyCreate      = "key.create"
	AuditKeyRevoke      = "key.revoke"
	AuditUserErase      = "user.erase"
	AuditRateLimitSet   = "rate_limit.set"
	AuditRateLimitClear = "rate_limit.clear"
	auditActorSystem    = "system"
	auditActorAnonymous = "api"
)

// Audit records a change in the audit log, in tx, the transaction that makes the change: call it
// in the same unit of work as the change's writes, so the record commits or rolls back with
// them. action names the kind of change ("key.revoke", "rate_limit.put", "user.erase"...),
// target what it changed ("key/<id>", "user/<uid>"...), and digest is the SHA-256 of what
// changed (nil for a change without content; never the personal data itself). The actor and
// request id come from ctx's Caller.
func (s *Service) Audit(ctx context.Context, tx Tx, tenantID, action, target string, digest []byte) error {
	return tx.AppendAudit(ctx, s.auditRecord(ctx, tenantID, action, target, digest))
}

// auditRecord makes an unsealed record of a change made now by ctx's caller.
func (s *Service) auditRecord(ctx context.Context, tenantID, action, target string, digest []byte) AuditRecord {
	r := AuditRecord{TenantID: tenantID, ID: s.newID(), At: s.nowMillis(), Action: action, Target: target, Digest: digest}
	r.Actor, r.RequestID = callerOf(ctx)
	return r
}

// callerOf returns the actor and request id of ctx's caller: its Actor once known, "api" for an
// HTTP request (it always carries a Caller), "system" for the server's own work.
func callerOf(ctx context.Context) (actor, requestID string) {
	c := CallerOf(ctx)
	switch {
	case c == nil:
		return auditActorSystem, ""
	case c.Actor == "":
		return auditActorAnonymous, c.RequestID
	}
	return c.Actor, c.RequestID
}

// digestOf is the SHA-256 of a change's content.
func digestOf(content []byte) []byte {
	d := sha256.Sum256(content)
	return d[:]
}

// entriesDigest is the digest of the history entries one write added: for each entry in order,
// its Seq (8 bytes, big-endian), then its Type and Body, each as a 4-byte big-endian length and
// the bytes (docs/audit.md).
func entriesDigest(entries []Entry) []byte {
	h := sha256.New()
	var buf []byte
	for _, e := range entries {
		buf = binary.BigEndian.AppendUint64(buf[:0], uint64(e.Seq))
		buf = appendField(buf, []byte(e.Type))
		buf = appendField(buf, e.Body)
		h.Write(buf)
	}
	return h.Sum(nil)
}

// userWriteAudit is the record of a write of a user: it references the write's main history
// entry (the create, update or event; a conversion or system entry goes with it) and digests
// every entry the write added.
func (s *Service) userWriteAudit(entries []Entry) AuditRecord {
	main := entries[0]
	for _, e := range entries {
		if e.Type == EntryCreate || e.Type == EntryUpdate || e.Type == EntryEvent {
			main = e
			break
		}
	}
	action := AuditUserEvent
	switch main.Type {
	case EntryCreate:
		action = AuditUserCreate
	case EntryUpdate:
		action = AuditUserUpdate
	}
	return AuditRecord{TenantID: main.TenantID, ID: s.newID(), At: main.CreatedAt, Action: action,
		Target: "user/" + main.UserUID + "/" + strconv.FormatInt(main.Seq, 10), Digest: entriesDigest(entries)}
}

// appendField appends b with its 4-byte big-endian length.
func appendField(buf, b []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
	return append(buf, b...)
}

// ChainAudit seals r as the record after head in its tenant's chain (its Seq, PrevHash and Hash)
// and returns the chain's new head.
func ChainAudit(head AuditHead, r *AuditRecord) AuditHead {
	r.Seq, r.PrevHash = head.Seq+1, head.Hash
	if len(r.PrevHash) == 0 {
		r.PrevHash = make([]byte, sha256.Size)
	}
	r.Hash = AuditHash(r.PrevHash, *r)
	return AuditHead{Seq: r.Seq, Hash: r.Hash}
}

// AuditHash is a sealed record's hash: SHA-256 of the previous record's hash (32 zero bytes
// before the first record) followed by the record's canonical encoding (AuditEncoding).
func AuditHash(prev []byte, r AuditRecord) []byte {
	if len(prev) == 0 {
		prev = make([]byte, sha256.Size)
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(AuditEncoding(r))
	return h.Sum(nil)
}

// AuditEncoding is the canonical encoding of a record's fields that its hash covers: "vigil-
// audit-1", then Seq (8 bytes, big-endian) and At (8 bytes, big-endian, two's complement), then
// TenantID, Actor, RequestID, Action, Target and Digest, each as a 4-byte big-endian length and
// its bytes (strings in UTF-8).
func AuditEncoding(r AuditRecord) []byte {
	buf := make([]byte, 0, 128+len(r.Target)+len(r.RequestID))
	buf = append(buf, auditFormat...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(r.Seq))
	buf = binary.BigEndian.AppendUint64(buf, uint64(r.At))
	for _, f := range []string{r.TenantID, r.Actor, r.RequestID, r.Action, r.Target} {
		buf = appendField(buf, []byte(f))
	}
	return appendField(buf, r.Digest)
}

// auditFormat starts every record's encoding, so a later format cannot be mistaken for it.
const auditFormat = "vigil-audit-1"

// sealBatch is how many records one sealing transaction chains. Few, so that each is short: on
// SQLite a transaction is a unit in the single writer's queue, and every write queued behind it
// waits for it. Chaining 500 at a time, the second's worth of records of a load of 2,000
// events/s took four units of 5-17 ms each, once a second (BENCHMARKS.md).
const sealBatch = 64

// SealAudit chains every unsealed audit record of every tenant and returns how many it sealed.
// Each tenant's records are sealed in transactions that lock its chain head, so any number of
// processes may run it at once: each record is sealed once, in one chain per tenant.
func (s *Service) SealAudit(ctx context.Context) (int, error) {
	tenants, err := s.store.UnsealedAuditTenants(ctx)
	if err != nil {
		return 0, fmt.Errorf("list the tenants with unsealed audit records: %w", err)
	}
	total := 0
	for _, tenantID := range tenants {
		for {
			n, err := s.sealTenant(ctx, tenantID)
			total += n
			if err != nil {
				return total, fmt.Errorf("seal the audit records of tenant %s: %w", tenantID, err)
			}
			if n < sealBatch {
				break
			}
		}
	}
	return total, nil
}

// sealTenant seals up to sealBatch of a tenant's unsealed records, in order (At, then ID), after
// its chain head.
func (s *Service) sealTenant(ctx context.Context, tenantID string) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx Tx) error {
		n = 0
		head, err := tx.LockAuditHead(ctx, tenantID)
		if err != nil {
			return err
		}
		records, err := tx.UnsealedAuditRecords(ctx, tenantID, sealBatch)
		if err != nil || len(records) == 0 {
			return err
		}
		for i := range records {
			head = ChainAudit(head, &records[i])
		}
		n = len(records)
		return tx.SealAudit(ctx, records)
	})
	return n, err
}
