package vigil

import (
	"context"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/schema"
)

// ruleContext is the tenant's risk model, compiled rules and webhook endpoints for one write,
// read before the write's transaction so the store's writer never waits on them.
type ruleContext struct {
	model     *risk.Model
	set       *rules.Set
	endpoints []WebhookEndpoint
}

func (s *Service) ruleContext(ctx context.Context, tenantID string) (ruleContext, error) {
	model, err := s.modelFor(ctx, tenantID)
	if err != nil {
		return ruleContext{}, err
	}
	set, err := s.rulesFor(ctx, tenantID, model)
	if err != nil {
		return ruleContext{}, err
	}
	endpoints, err := s.store.WebhookEndpoints(ctx, tenantID)
	return ruleContext{model: model, set: set, endpoints: endpoints}, err
}

// afterWrite wakes the webhook dispatcher when the write may have queued deliveries.
func (s *Service) afterWrite(rs ruleContext) {
	if len(rs.endpoints) > 0 && s.wake != nil {
		s.wake()
	}
}

// saveWrite stores the outcome of one write: its history entry (with its evaluation and first
// response), the system entry of any triggered actions right after it, and the user's new row.
// It is the last step of every create, update and event.
func (s *Service) saveWrite(ctx context.Context, tx Tx, rs ruleContext, rec *UserRecord, current schema.Object, out evaluated,
	entry Entry, response []byte, create bool) error {
	entry.Evaluation, entry.Response, entry.Shadow = out.evaluationJSON, response, out.shadowJSON
	entries := []Entry{entry}
	if out.system != nil {
		// Right after the write that hit: a creation's actions precede every event.
		ts := entry.Timestamp
		if create {
			ts = 0
		}
		entries = append(entries, Entry{TenantID: entry.TenantID, UserUID: entry.UserUID, Seq: entry.Seq + 1,
			Type: EntrySystem, Timestamp: ts, CreatedAt: entry.CreatedAt,
			Body: mustEncode(map[string]any{"patch": out.system, "ruleInstanceIds": out.triggeredBy})})
	}
	last := entries[len(entries)-1]
	rec.Profile, rec.Evaluation, rec.Risk, rec.Rules = mustEncode(current), out.evaluationJSON, out.riskJSON, out.ruleJSON
	rec.LastSeq, rec.UpdatedAt = last.Seq, entry.CreatedAt
	if !create {
		rec.MaxTimestamp = max(rec.MaxTimestamp, entry.Timestamp)
	}
	var err error
	if create {
		err = tx.InsertUser(ctx, *rec)
	} else {
		err = tx.UpdateUser(ctx, *rec)
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := tx.InsertEntry(ctx, e); err != nil {
			return err
		}
	}
	return s.enqueue(ctx, tx, rec.TenantID, rs.endpoints, out.notifications, rec.UID, entry.Seq)
}
