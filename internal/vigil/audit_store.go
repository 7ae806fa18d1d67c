package vigil

import "context"

// AuditStore is the part of a Store that reads the audit log (audit.go). Every Store implements
// it.
type AuditStore interface {
	// AuditRecords lists a tenant's sealed records with a Seq above after, in Seq order, at most
	// limit of them. Unsealed records are not listed.
	AuditRecords(ctx context.Context, tenantID string, after int64, limit int) ([]AuditRecord, error)
	// AuditHead reads a tenant's chain head: the Seq and Hash of its last sealed record (Seq 0,
	// Hash nil when none is sealed).
	AuditHead(ctx context.Context, tenantID string) (AuditHead, error)
	// UnsealedAudit counts a tenant's unsealed records written (At) before before.
	UnsealedAudit(ctx context.Context, tenantID string, before int64) (int, error)
	// UnsealedAuditTenants lists the ids of the tenants that have unsealed records.
	UnsealedAuditTenants(ctx context.Context) ([]string, error)
}

// AuditTx is the part of a Tx that writes the audit log. AppendAudit is called in the
// transaction of the change it records; the sealing methods by the sealer, in a transaction of
// its own.
type AuditTx interface {
	// AppendAudit adds a change's record (Seq 0, no hashes), in the change's transaction. A
	// store whose writes are serialised anyway (SQLite's single writer) seals it at once, as
	// the sealer would (ChainAudit after the tenant's head), unless the tenant has unsealed
	// records: those come first in the chain, so the record waits for the sealer too. Any other
	// store adds it unsealed (InsertAudit): sealing there would make every concurrent writer of
	// a tenant wait on its head.
	AppendAudit(ctx context.Context, r AuditRecord) error
	// InsertAudit adds an unsealed record (Seq 0, no hashes): what AppendAudit does on a store
	// whose writers run concurrently, and what a SQLite database written by a build before
	// sealing at insert holds.
	InsertAudit(ctx context.Context, r AuditRecord) error
	// LockAuditHead reads a tenant's chain head, creating it at Seq 0 if missing, and locks it
	// until the transaction ends: one sealer at a time per tenant, in any number of processes.
	LockAuditHead(ctx context.Context, tenantID string) (AuditHead, error)
	// UnsealedAuditRecords lists up to limit of a tenant's unsealed records in sealing order
	// (by At, then ID).
	UnsealedAuditRecords(ctx context.Context, tenantID string, limit int) ([]AuditRecord, error)
	// SealAudit stores the Seq, PrevHash and Hash of unsealed records (found by TenantID and ID)
	// and moves the tenant's chain head to the last of them.
	SealAudit(ctx context.Context, records []AuditRecord) error
}

// AuditRecord is one record of a tenant's audit log: who changed what, when, and a digest of the
// change. It is made unsealed (Seq 0, no hashes) with the change; AppendAudit or the sealer
// gives it its place in the chain.
type AuditRecord struct {
	TenantID string
	// ID identifies the record before it is sealed; it is not part of the hash.
	ID string
	// Seq is the record's place in the tenant's chain, from 1 (0: not sealed yet).
	Seq int64
	// At is when the change was made (epoch ms).
	At int64
	// Actor is who made it: "key:<id>", "api", "cli" or "system".
	Actor     string
	RequestID string
	// Action names the kind of change ("user.event", "rule.put", ...; see docs/audit.md).
	Action string
	// Target names what changed ("user/<uid>/<seq>", "rule/<id>/<version>", ...).
	Target string
	// Digest is the SHA-256 of what changed (nil when the change has no content, a deletion).
	Digest []byte
	// PrevHash and Hash chain the record to the one before it (see AuditHash); nil until sealed.
	PrevHash, Hash []byte
}

// AuditHead is the end of a tenant's sealed chain.
type AuditHead struct {
	Seq  int64
	Hash []byte
}
