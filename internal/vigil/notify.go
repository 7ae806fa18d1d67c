package vigil

import (
	"context"
	"fmt"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/schema"
)

// Webhook types Vigil sends.
const (
	WebhookUserState      = "USER_STATE_UPDATED"
	WebhookKYCStatus      = "KYC_STATUS_UPDATED"
	WebhookUserTags       = "USER_TAGS_UPDATED"
	WebhookCRARiskLevel   = "CRA_RISK_LEVEL_UPDATED"
	WebhookBatchCompleted = "BATCH_COMPLETED"
)

// WebhookTypes lists every type an endpoint can subscribe to.
var WebhookTypes = []string{WebhookUserState, WebhookKYCStatus, WebhookUserTags, WebhookCRARiskLevel, WebhookBatchCompleted}

// notification is a change a write made that endpoints may hear about.
type notification struct {
	Type string
	Data any
	// System is true when Vigil made the change itself (a rule's trigger, a risk level it
	// computed), not the tenant's own API write.
	System bool
}

// notifications compares a user before and after a write. api is the profile right after the
// client's change, final the profile after rule triggers. A create sets values; it notifies
// nothing.
func notifications(model *risk.Model, userID string, previous, api, final schema.Object, prevRisk, newRisk risk.State) []notification {
	if previous == nil {
		return nil
	}
	var out []notification
	field := func(p schema.Object, obj, key string) any {
		o, _ := p[obj].(schema.Object)
		return o[key]
	}
	same := func(a, b any) bool { return schema.Fingerprint(a) == schema.Fingerprint(b) }
	for _, c := range []struct {
		typ, obj, key string
	}{
		{WebhookUserState, "userStateDetails", "state"},
		{WebhookKYCStatus, "kycStatusDetails", "status"},
	} {
		before, after := field(previous, c.obj, c.key), field(final, c.obj, c.key)
		if same(before, after) || after == nil {
			continue
		}
		data := schema.Object{"userId": userID, c.key: after}
		if reason := field(final, c.obj, "reason"); reason != nil {
			data["reason"] = reason
		}
		out = append(out, notification{Type: c.typ, Data: data, System: same(before, field(api, c.obj, c.key))})
	}
	if !same(previous["tags"], final["tags"]) {
		tags := final["tags"]
		if tags == nil {
			tags = []any{}
		}
		out = append(out, notification{Type: WebhookUserTags, Data: schema.Object{"userId": userID, "tags": tags},
			System: same(previous["tags"], api["tags"])})
	}
	if prevRisk.CRA.Level != "" && newRisk.CRA.Level != prevRisk.CRA.Level {
		factors := make([]schema.Object, 0, len(newRisk.Factors))
		for _, f := range newRisk.Factors {
			factors = append(factors, schema.Object{"riskFactorId": f.ID, "riskFactorName": f.Name, "value": f.Value,
				"riskScore": f.Score, "riskLevel": model.Level(f.Score), "weight": f.Weight})
		}
		out = append(out, notification{Type: WebhookCRARiskLevel, System: true, Data: schema.Object{
			"userId": userID, "riskLevel": newRisk.CRA.Level, "riskScore": newRisk.CRA.Score,
			"kycRiskLevel": newRisk.KYC.Level, "kycRiskScore": newRisk.KYC.Score, "riskFactors": factors}})
	}
	return out
}

// envelope is the body of every webhook, as Flagright sends it.
type envelope struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	CreatedTimestamp int64  `json:"createdTimestamp"`
	TriggeredBy      string `json:"triggeredBy"`
	Data             any    `json:"data"`
}

// subscribed reports whether an endpoint receives a notification.
func (e WebhookEndpoint) subscribed(n notification) bool {
	if !e.Enabled || (e.Origin == OriginSystem && !n.System) {
		return false
	}
	if len(e.Events) == 0 {
		return true
	}
	for _, t := range e.Events {
		if t == n.Type {
			return true
		}
	}
	return false
}

// deliveries builds the outbox rows of notifications, one per subscribed endpoint; they are
// written in the transaction of the change that caused them. orderKey and seq order them per
// user (or batch) and endpoint.
func (s *Service) deliveries(tenantID string, endpoints []WebhookEndpoint, ns []notification, orderKey string, seq int64) []Delivery {
	now := s.nowMillis()
	var out []Delivery
	for i, n := range ns {
		var payload []byte
		for _, e := range endpoints {
			if !e.subscribed(n) {
				continue
			}
			if payload == nil {
				payload = mustEncode(envelope{ID: s.newID(), Type: n.Type, CreatedTimestamp: now, TriggeredBy: "SYSTEM", Data: n.Data})
			}
			out = append(out, Delivery{ID: s.newID(), TenantID: tenantID, EndpointID: e.ID, OrderKey: orderKey,
				Seq: seq*16 + int64(i), Type: n.Type, Payload: payload, Status: DeliveryPending, NextAttemptAt: now, CreatedAt: now})
		}
	}
	return out
}

// insertDeliveries writes outbox rows in the transaction tx of the change that caused them.
func insertDeliveries(ctx context.Context, tx Tx, deliveries []Delivery) error {
	for _, d := range deliveries {
		if err := tx.InsertDelivery(ctx, d); err != nil {
			return fmt.Errorf("queue webhook delivery: %w", err)
		}
	}
	return nil
}
