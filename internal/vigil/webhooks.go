package vigil

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Endpoint origins.
const (
	// OriginAll endpoints receive every change, also those the tenant's own API writes made.
	OriginAll = "ALL"
	// OriginSystem endpoints receive only changes Vigil made itself, as Flagright's hosted
	// service does.
	OriginSystem = "SYSTEM"
)

// DefaultMaxWebhookEndpoints is how many webhook endpoints a tenant may have unless
// Options.MaxWebhookEndpoints says otherwise. Every endpoint gets its own deliveries, so the
// bound also bounds the work one write of a tenant can queue.
const DefaultMaxWebhookEndpoints = 10

// secretOverlap is how long a rotated-out secret keeps signing.
const secretOverlap = 24 * time.Hour

// WebhookSpec describes an endpoint to create.
type WebhookSpec struct {
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
	Origin string   `json:"origin,omitempty"`
}

// endpointView is an endpoint on the wire: never its secrets, except right after it was created
// or rotated (Secret).
type endpointView struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	Origin    string   `json:"origin"`
	Enabled   bool     `json:"enabled"`
	CreatedAt int64    `json:"createdAt"`
	Secret    string   `json:"secret,omitempty"`
}

func view(e WebhookEndpoint) endpointView {
	events := e.Events
	if events == nil {
		events = []string{}
	}
	return endpointView{ID: e.ID, URL: e.URL, Events: events, Origin: e.Origin, Enabled: e.Enabled, CreatedAt: e.CreatedAt}
}

func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// checkSpec validates an endpoint description.
func checkSpec(spec *WebhookSpec) error {
	var problems []string
	u, err := url.Parse(spec.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, "url: must be an absolute http or https URL")
	}
	known := map[string]bool{}
	for _, t := range WebhookTypes {
		known[t] = true
	}
	for i, t := range spec.Events {
		if !known[t] {
			problems = append(problems, fmt.Sprintf("events[%d]: %q is not one of %s", i, t, strings.Join(WebhookTypes, ", ")))
		}
	}
	switch strings.ToUpper(spec.Origin) {
	case "":
		spec.Origin = OriginAll
	case OriginAll, OriginSystem:
		spec.Origin = strings.ToUpper(spec.Origin)
	default:
		problems = append(problems, fmt.Sprintf("origin: %q is not one of ALL, SYSTEM", spec.Origin))
	}
	if problems != nil {
		return invalidLines(problems)
	}
	return nil
}

// CreateWebhook adds an endpoint and returns it with its secret, shown only this once.
func (s *Service) CreateWebhook(ctx context.Context, tenant Tenant, spec WebhookSpec) ([]byte, error) {
	if err := checkSpec(&spec); err != nil {
		return nil, err
	}
	e := WebhookEndpoint{TenantID: tenant.ID, ID: s.newID(), URL: spec.URL, Events: spec.Events, Origin: spec.Origin,
		Secrets: []WebhookSecret{{Secret: newSecret()}}, Enabled: true, CreatedAt: s.nowMillis()}
	err := s.write(ctx, func(tx Tx) error {
		if s.maxEndpoints >= 0 {
			n, err := tx.CountWebhookEndpoints(ctx, tenant.ID)
			if err != nil {
				return err
			}
			if n >= s.maxEndpoints {
				msg := fmt.Sprintf("This tenant already has %d webhook endpoints, the most it may have; remove one before adding another", n)
				return &Error{Code: CodeInvalid, Message: msg, Problems: []string{fmt.Sprintf("webhooks: at most %d endpoints per tenant", s.maxEndpoints)}}
			}
		}
		return s.putEndpoint(ctx, tx, e, AuditWebhookCreate)
	})
	if err != nil {
		return nil, err
	}
	v := view(e)
	v.Secret = e.Secrets[0].Secret
	return mustEncode(v), nil
}

// ListWebhooks lists a tenant's endpoints (without secrets).
func (s *Service) ListWebhooks(ctx context.Context, tenant Tenant) ([]byte, error) {
	es, err := s.store.WebhookEndpoints(ctx, tenant.ID)
	if err != nil {
		return nil, err
	}
	out := make([]endpointView, len(es))
	for i, e := range es {
		out[i] = view(e)
	}
	return mustEncode(map[string]any{"webhooks": out}), nil
}

func (s *Service) endpoint(ctx context.Context, tenant Tenant, id string) (WebhookEndpoint, error) {
	es, err := s.store.WebhookEndpoints(ctx, tenant.ID)
	if err != nil {
		return WebhookEndpoint{}, err
	}
	for _, e := range es {
		if e.ID == id {
			return e, nil
		}
	}
	return WebhookEndpoint{}, notFoundf("No webhook endpoint with id %q", id)
}

// GetWebhook returns one endpoint (without secrets).
func (s *Service) GetWebhook(ctx context.Context, tenant Tenant, id string) ([]byte, error) {
	e, err := s.endpoint(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return mustEncode(view(e)), nil
}

// DeleteWebhook removes an endpoint and its pending deliveries.
func (s *Service) DeleteWebhook(ctx context.Context, tenant Tenant, id string) error {
	err := s.write(ctx, func(tx Tx) error {
		if err := tx.DeleteWebhookEndpoint(ctx, tenant.ID, id); err != nil {
			return err
		}
		return s.Audit(ctx, tx, tenant.ID, AuditWebhookDelete, "webhook/"+id, nil)
	})
	if errors.Is(err, ErrNotFound) {
		return notFoundf("No webhook endpoint with id %q", id)
	}
	return err
}

// RotateWebhookSecret gives an endpoint a new secret; the current one keeps signing for a day,
// so receivers can switch without losing a delivery. The new secret is returned once.
func (s *Service) RotateWebhookSecret(ctx context.Context, tenant Tenant, id string) ([]byte, error) {
	e, err := s.endpoint(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	fresh := WebhookSecret{Secret: newSecret()}
	secrets := []WebhookSecret{fresh}
	for _, old := range e.Secrets {
		if old.ExpiresAt == 0 {
			old.ExpiresAt = now.Add(secretOverlap).UnixMilli()
		}
		if old.ExpiresAt > now.UnixMilli() {
			secrets = append(secrets, old)
		}
	}
	e.Secrets = secrets
	if err := s.write(ctx, func(tx Tx) error { return s.putEndpoint(ctx, tx, e, AuditWebhookRotate) }); err != nil {
		return nil, err
	}
	v := view(e)
	v.Secret = fresh.Secret
	return mustEncode(v), nil
}

// deliveryView is a delivery on the wire: its summary, the payload and the attempts.
type deliveryView struct {
	deliverySummary
	Payload     rawJSON           `json:"payload"`
	AttemptList []DeliveryAttempt `json:"attemptList,omitempty"`
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

func deliveryOf(d Delivery) deliveryView {
	return deliveryView{deliverySummary: summaryOf(d), Payload: rawJSON(d.Payload)}
}

// maxListedDeliveries bounds a delivery listing.
const maxListedDeliveries = 500

// WebhookDeliveries lists an endpoint's latest deliveries, optionally of one status.
func (s *Service) WebhookDeliveries(ctx context.Context, tenant Tenant, endpointID, status string) ([]byte, error) {
	if _, err := s.endpoint(ctx, tenant, endpointID); err != nil {
		return nil, err
	}
	status = strings.ToUpper(status)
	if status != "" && status != DeliveryPending && status != DeliveryDelivered && status != DeliveryFailed {
		return nil, invalidf("status", "%q is not one of PENDING, DELIVERED, FAILED", status)
	}
	ds, err := s.store.Deliveries(ctx, tenant.ID, endpointID, status, maxListedDeliveries)
	if err != nil {
		return nil, err
	}
	out := make([]deliveryView, len(ds))
	for i, d := range ds {
		out[i] = deliveryOf(d)
	}
	return mustEncode(map[string]any{"deliveries": out}), nil
}

// WebhookDelivery returns one delivery with its attempts.
func (s *Service) WebhookDelivery(ctx context.Context, tenant Tenant, id string) ([]byte, error) {
	d, attempts, err := s.store.Delivery(ctx, tenant.ID, id)
	if errors.Is(err, ErrNotFound) {
		return nil, notFoundf("No webhook delivery with id %q", id)
	}
	if err != nil {
		return nil, err
	}
	v := deliveryOf(d)
	v.AttemptList = attempts
	if v.AttemptList == nil {
		v.AttemptList = []DeliveryAttempt{}
	}
	return mustEncode(v), nil
}

// RetryWebhookDelivery makes a delivery due again now (typically a FAILED one).
func (s *Service) RetryWebhookDelivery(ctx context.Context, tenant Tenant, id string) ([]byte, error) {
	err := s.write(ctx, func(tx Tx) error {
		if err := tx.RetryDelivery(ctx, tenant.ID, id, s.nowMillis()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, tenant.ID, AuditDeliveryRetry, "webhook_delivery/"+id, nil)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, notFoundf("No webhook delivery with id %q", id)
	}
	if err != nil {
		return nil, err
	}
	if s.wake != nil {
		s.wake()
	}
	return s.WebhookDelivery(ctx, tenant, id)
}

// putEndpoint stores an endpoint with its audit record. The record's digest covers the
// endpoint as an admin sees it (its URL, events and origin), never its secrets.
func (s *Service) putEndpoint(ctx context.Context, tx Tx, e WebhookEndpoint, action string) error {
	if err := tx.PutWebhookEndpoint(ctx, e); err != nil {
		return err
	}
	return s.Audit(ctx, tx, e.TenantID, action, "webhook/"+e.ID, digestOf(mustEncode(view(e))))
}
