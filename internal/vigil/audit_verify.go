package vigil

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// AuditVerification is what VerifyAudit found.
type AuditVerification struct {
	// Head is the last record of the chain as verified (Seq 0 and 32 zero bytes, the hash
	// before the first record, for an empty chain).
	Head AuditHead
	// BrokenSeq is the first record that is not what the chain says it should be (0 when the
	// chain verifies), and Broken says what is wrong with it.
	BrokenSeq int64
	Broken    string
	// StaleUnsealed counts unsealed records older than StaleAfter: the sealer is not running,
	// or a record's change committed long after it was made.
	StaleUnsealed int
}

// StaleAfter is how old an unsealed audit record may be before verification warns about it; the
// sealer of a running server seals within seconds.
const StaleAfter = time.Minute

// verifyPage is how many records verification reads at a time.
const verifyPage = 1000

// VerifyAudit recomputes a tenant's sealed chain from its first record and compares it with its
// stored head. It seals nothing. A chain that does not verify is not an error: the result says
// which record is the first one modified, deleted, inserted or out of place.
func (s *Service) VerifyAudit(ctx context.Context, tenantName string) (AuditVerification, error) {
	var v AuditVerification
	t, err := s.TenantByName(ctx, tenantName)
	if err != nil {
		return v, err
	}
	// The head is read after the records, and reading goes on while it is past them: a record
	// is stored with its head (or before it, by the sealer), and a server may seal records
	// while they are read (SQLite with every change), so a head read first would be behind
	// records sealed since and call them inserted. A head still past the records once nothing
	// more is read is a deletion.
	var stored AuditHead
	c := chainCheck{prev: make([]byte, sha256.Size)}
	headAt := int64(-1) // the record the head was last read after
	for after := int64(0); ; {
		records, err := s.store.AuditRecords(ctx, t.ID, after, verifyPage)
		if err != nil {
			return v, fmt.Errorf("read the audit records after %d: %w", after, err)
		}
		for i, r := range records {
			var following *AuditRecord
			if i+1 < len(records) {
				following = &records[i+1]
			}
			if seq, problem := c.next(r, following); problem != "" {
				v.BrokenSeq, v.Broken = seq, problem
				return v, nil
			}
		}
		after = c.seq
		if len(records) == verifyPage {
			continue
		}
		if headAt == c.seq {
			break // nothing more since the head was read
		}
		if stored, err = s.store.AuditHead(ctx, t.ID); err != nil {
			return v, fmt.Errorf("read the audit chain head: %w", err)
		}
		if stored.Seq <= c.seq {
			break
		}
		headAt = c.seq
	}
	v.Head = AuditHead{Seq: c.seq, Hash: c.prev}
	switch {
	case stored.Seq > c.seq:
		v.BrokenSeq, v.Broken = c.seq+1, fmt.Sprintf("record %d is missing (deleted): the chain head is record %d", c.seq+1, stored.Seq)
	case stored.Seq < c.seq:
		v.BrokenSeq, v.Broken = stored.Seq+1, fmt.Sprintf("record %d is after the chain head, record %d (inserted)", stored.Seq+1, stored.Seq)
	case c.seq > 0 && !bytes.Equal(stored.Hash, v.Head.Hash):
		v.BrokenSeq, v.Broken = c.seq, fmt.Sprintf("record %d's hash is not the chain head's (the record or the head was modified)", c.seq)
	}
	if v.BrokenSeq != 0 {
		return v, nil
	}
	if v.StaleUnsealed, err = s.store.UnsealedAudit(ctx, t.ID, s.now().Add(-StaleAfter).UnixMilli()); err != nil {
		return v, fmt.Errorf("count unsealed audit records: %w", err)
	}
	return v, nil
}

// chainCheck walks a chain in Seq order, remembering the two latest hashes: enough to tell a
// record that was inserted (the next one follows the record before it) from one out of place.
type chainCheck struct {
	seq              int64
	prev, beforePrev []byte
}

// next checks the next stored record r (followed by following, nil if unknown) and returns, if
// it is not the chain's next record, the Seq of the first bad record and what is wrong with it.
func (c *chainCheck) next(r AuditRecord, following *AuditRecord) (int64, string) {
	want := c.seq + 1
	switch {
	case r.Seq > want:
		return want, fmt.Sprintf("record %d is missing (deleted): record %d follows record %d", want, r.Seq, c.seq)
	case r.Seq < want: // the store lists by Seq, which is unique: only a broken store repeats one
		return r.Seq, fmt.Sprintf("record %d appears twice", r.Seq)
	case !bytes.Equal(r.PrevHash, c.prev):
		if c.beforePrev != nil && bytes.Equal(r.PrevHash, c.beforePrev) {
			return c.seq, fmt.Sprintf("record %d was inserted: record %d follows record %d", c.seq, r.Seq, c.seq-1)
		}
		return r.Seq, fmt.Sprintf("record %d is out of place (inserted or reordered): its previous hash %s is not record %d's hash", r.Seq, short(r.PrevHash), c.seq)
	case !bytes.Equal(AuditHash(r.PrevHash, r), r.Hash):
		if following != nil && bytes.Equal(following.PrevHash, c.prev) {
			return r.Seq, fmt.Sprintf("record %d was inserted: record %d follows record %d", r.Seq, following.Seq, c.seq)
		}
		return r.Seq, fmt.Sprintf("record %d was modified: its hash %s does not match its contents", r.Seq, short(r.Hash))
	}
	c.seq, c.beforePrev, c.prev = r.Seq, c.prev, r.Hash
	return 0, ""
}

// short is the first bytes of a hash in hex, enough to name it in a message.
func short(h []byte) string {
	if len(h) > 8 {
		h = h[:8]
	}
	return hex.EncodeToString(h) + "…"
}

// MaxAuditPage is the most records one page of GET /audit holds; DefaultAuditPage is a page's
// size when the client names none.
const (
	MaxAuditPage     = 1000
	DefaultAuditPage = 100
)

// auditView is a sealed record on the wire: every field its hash covers, and the hashes, in hex.
type auditView struct {
	Seq       int64  `json:"seq"`
	At        int64  `json:"at"`
	TenantID  string `json:"tenantId"`
	Actor     string `json:"actor"`
	RequestID string `json:"requestId"`
	Action    string `json:"action"`
	Target    string `json:"target"`
	Digest    string `json:"digest"`
	PrevHash  string `json:"prevHash"`
	Hash      string `json:"hash"`
}

// AuditPage handles GET /audit?after=SEQ&limit=N: the tenant's sealed records after after, at
// most limit (1 to MaxAuditPage), with the Seq to ask for the next page when there may be more.
func (s *Service) AuditPage(ctx context.Context, tenant Tenant, after int64, limit int) ([]byte, error) {
	if after < 0 {
		return nil, invalidf("after", "must be a record's sequence number (0 or more)")
	}
	if limit < 1 || limit > MaxAuditPage {
		return nil, invalidf("limit", "must be between 1 and %d", MaxAuditPage)
	}
	records, err := s.store.AuditRecords(ctx, tenant.ID, after, limit)
	if err != nil {
		return nil, err
	}
	views := make([]auditView, len(records))
	for i, r := range records {
		views[i] = auditView{Seq: r.Seq, At: r.At, TenantID: r.TenantID, Actor: r.Actor, RequestID: r.RequestID,
			Action: r.Action, Target: r.Target, Digest: hex.EncodeToString(r.Digest),
			PrevHash: hex.EncodeToString(r.PrevHash), Hash: hex.EncodeToString(r.Hash)}
	}
	page := map[string]any{"records": views}
	if len(records) == limit {
		page["next"] = records[len(records)-1].Seq
	}
	return mustEncode(page), nil
}
