package vigil

import (
	"context"

	"github.com/vigil-aml/vigil/internal/schema"
)

// writePlan is everything one write stores: the user's row, its history entries and the
// outbox deliveries. It is built without a transaction, so it can be prepared ahead of one.
type writePlan struct {
	rec        UserRecord
	create     bool
	entries    []Entry
	deliveries []Delivery
	// audit is the write's audit record, without its caller (apply adds it).
	audit AuditRecord
	// searches are the screening searches that matched: stored before the user's row, so a
	// hit never names a search that is not there. Most writes have none.
	searches []ScreeningSearch
	// ruleList is the rule list the entry's stored response names, when it is not known to be
	// stored yet: stored before the entry, like searches. Most writes have none.
	ruleList *RuleList
}

// planWrite builds the rows of one write, whose profile after it is profileJSON: its history
// entry (with its first response, doc followed by the evaluation's fields), the system entry of
// any triggered actions right after it, the user's new row and the webhook deliveries.
func (s *Service) planWrite(rs ruleContext, rec UserRecord, profile schema.Object, profileJSON []byte, out evaluated,
	entry Entry, doc []byte, create bool) writePlan {
	// The response carries the evaluation's fields, so the entry does not store them twice
	// (see entryEvaluation), and it is stored compact (stored_response.go).
	response, list := storedResponse(doc, out, rs.identities)
	entry.Response, entry.Shadow = response, out.shadowJSON
	// The risk state goes with the entry too, for the point-in-time view (UserAt): the row keeps
	// only the latest; both in the same compact binary form (entry_risk.go).
	entry.Risk = out.riskStored
	entry.RuleHits = ruleHits(out)
	p := writePlan{create: create, entries: []Entry{entry}}
	if out.system != nil {
		// Right after the write that hit: a creation's actions precede every event.
		ts := entry.Timestamp
		if create {
			ts = 0
		}
		p.entries = append(p.entries, Entry{TenantID: entry.TenantID, UserUID: entry.UserUID, Seq: entry.Seq + 1,
			Type: EntrySystem, Timestamp: ts, CreatedAt: entry.CreatedAt,
			Body: mustEncode(map[string]any{"patch": out.system, "ruleInstanceIds": out.triggeredBy})})
	}
	last := p.entries[len(p.entries)-1]
	// The evaluation is in the entry's response: the row does not store it again.
	rec.Profile, rec.Evaluation, rec.Risk, rec.Rules = profileJSON, []byte{}, out.riskStored, out.ruleJSON
	rec.LastSeq, rec.UpdatedAt = last.Seq, entry.CreatedAt
	setTerms(&rec, profile, out.evaluation.HitRules)
	if !create {
		rec.MaxTimestamp = max(rec.MaxTimestamp, entry.Timestamp)
	}
	p.rec = rec
	p.deliveries = s.deliveries(rec.TenantID, rs.endpoints, out.notifications, rec.UID, entry.Seq)
	p.audit = s.userWriteAudit(p.entries)
	p.searches = out.searches
	p.ruleList = s.ruleLists.toStore(rec.TenantID, list)
	return p
}

// ruleHits are the rules an evaluation hit, live and shadow, for the store's hit counters.
func ruleHits(out evaluated) []RuleHit {
	var hits []RuleHit
	for _, h := range out.evaluation.HitRules {
		hits = append(hits, RuleHit{RuleInstanceID: h.RuleInstanceID})
	}
	for _, r := range out.rules.Shadow {
		if r.RuleHit {
			hits = append(hits, RuleHit{RuleInstanceID: r.RuleInstanceID, Shadow: true})
		}
	}
	return hits
}

// apply writes a plan in a transaction.
func (p writePlan) apply(ctx context.Context, tx Tx) error {
	if err := p.storeFirst(ctx, tx); err != nil {
		return err
	}
	return tx.WriteUser(ctx, p.rec, p.create, p.entries, p.deliveries, p.auditBy(ctx))
}

// applyIf stores an update planned before its transaction if nothing it was based on moved, and
// reports whether it did.
func (p writePlan) applyIf(ctx context.Context, tx Tx, based UserVersion) (bool, error) {
	if err := p.storeFirst(ctx, tx); err != nil {
		return false, err
	}
	return tx.WriteUserIf(ctx, based, p.rec, p.entries, p.deliveries, p.auditBy(ctx))
}

// auditBy is the plan's audit record made by ctx's caller.
func (p writePlan) auditBy(ctx context.Context) AuditRecord {
	r := p.audit
	r.Actor, r.RequestID = callerOf(ctx)
	return r
}

// storeFirst stores what the plan's rows name: its rule list and its screening searches.
func (p writePlan) storeFirst(ctx context.Context, tx Tx) error {
	if p.ruleList != nil {
		if err := tx.PutRuleList(ctx, *p.ruleList); err != nil {
			return err
		}
	}
	return p.storeSearches(ctx, tx)
}

// storeSearches stores the plan's screening searches. Only a write whose screening matched has
// any, so the one-statement conditional write of every other write is unchanged; a unit that
// then finds its user moved keeps them (they are stored again, as no-ops, when it runs again).
func (p writePlan) storeSearches(ctx context.Context, tx Tx) error {
	if len(p.searches) == 0 {
		return nil
	}
	return tx.PutScreeningSearches(ctx, p.searches)
}
