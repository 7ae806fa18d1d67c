package vigil

import "context"

// WebhookStore is the part of a Store that keeps webhook endpoints and the outbox. Every Store
// implements it.
type WebhookStore interface {
	// WebhookEndpoints lists a tenant's endpoints.
	WebhookEndpoints(ctx context.Context, tenantID string) ([]WebhookEndpoint, error)
	// Deliveries lists an endpoint's deliveries, newest first, optionally of one status.
	Deliveries(ctx context.Context, tenantID, endpointID, status string, limit int) ([]Delivery, error)
	// UserDeliveries lists the deliveries of a user's writes (their order key is the user's
	// UID), newest first (by CreatedAt, Seq, ID), only those after the cursor in that order when
	// it is set, at most limit.
	UserDeliveries(ctx context.Context, tenantID, userUID string, after DeliveryCursor, limit int) ([]Delivery, error)
	// Delivery reads one delivery and its attempts, or ErrNotFound.
	Delivery(ctx context.Context, tenantID, id string) (Delivery, []DeliveryAttempt, error)
	// ClaimDeliveries leases deliveries that are due at c.Now, until c.LeaseUntil, oldest due
	// first, within c's bounds. A PENDING delivery that has failed fewer than three times holds
	// back the later deliveries of the same order key to the same endpoint. Only the oldest
	// ClaimCandidates×c.Limit deliveries that may be claimed are considered, so that a claim
	// costs the same whatever the backlog. A delivery is leased by one caller at a time,
	// whatever the number of processes.
	ClaimDeliveries(ctx context.Context, c DeliveryClaim) ([]Delivery, error)
	// FinishAttempt records an attempt and the delivery's new state, and ends its lease.
	FinishAttempt(ctx context.Context, d Delivery, a DeliveryAttempt) error
}

// ClaimCandidates is how many times its limit a claim looks at. When one endpoint has most of
// the oldest due deliveries, a claim takes PerEndpoint of them and the caller skips that
// endpoint next time, reaching the others' deliveries behind them.
const ClaimCandidates = 4

// DeliveryCursor is a place in a newest-first listing of deliveries: the last one listed. The
// zero cursor is the start.
type DeliveryCursor struct {
	CreatedAt, Seq int64
	ID             string
}

// DeliveryClaim bounds what ClaimDeliveries leases.
type DeliveryClaim struct {
	Now, LeaseUntil int64
	// Limit bounds the deliveries leased in all.
	Limit int
	// PerEndpoint bounds the deliveries leased for one endpoint (0: no bound).
	PerEndpoint int
	// SkipEndpoints are endpoint ids to lease nothing for (those the caller is still busy with).
	SkipEndpoints []string
}

// WebhookTx is the part of a Tx that writes webhook endpoints and the outbox.
type WebhookTx interface {
	// CountWebhookEndpoints counts a tenant's endpoints. Counts in transactions that go on to
	// add an endpoint of the same tenant are taken one after the other, so a bound holds.
	CountWebhookEndpoints(ctx context.Context, tenantID string) (int, error)
	// PutWebhookEndpoint creates or replaces an endpoint.
	PutWebhookEndpoint(ctx context.Context, e WebhookEndpoint) error
	// DeleteWebhookEndpoint removes an endpoint and its pending deliveries, or ErrNotFound.
	DeleteWebhookEndpoint(ctx context.Context, tenantID, id string) error
	// InsertDelivery adds a delivery to the outbox.
	InsertDelivery(ctx context.Context, d Delivery) error
	// RetryDelivery makes a delivery PENDING and due at now, or ErrNotFound.
	RetryDelivery(ctx context.Context, tenantID, id string, now int64) error
}

// WebhookEndpoint is where a tenant receives webhooks.
type WebhookEndpoint struct {
	TenantID string
	ID       string
	URL      string
	// Events are the types it receives; empty means every type.
	Events []string
	// Origin is ALL (every change) or SYSTEM (only changes Vigil made itself).
	Origin string
	// Secrets sign deliveries; more than one while a secret rotates.
	Secrets   []WebhookSecret
	Enabled   bool
	CreatedAt int64
}

// WebhookSecret is a signing secret; a rotated-out secret expires.
type WebhookSecret struct {
	Secret    string `json:"secret"`
	ExpiresAt int64  `json:"expiresAt,omitempty"`
}

// Delivery states.
const (
	DeliveryPending   = "PENDING"
	DeliveryDelivered = "DELIVERED"
	DeliveryFailed    = "FAILED"
)

// Delivery is one notification to one endpoint.
type Delivery struct {
	ID         string
	TenantID   string
	EndpointID string
	// OrderKey and Seq order the deliveries of one user (or batch) to one endpoint.
	OrderKey string
	Seq      int64
	Type     string
	// Payload is the exact body sent (and signed).
	Payload       []byte
	Status        string
	Attempts      int
	NextAttemptAt int64
	LeaseUntil    int64
	LastStatus    int
	LastError     string
	CreatedAt     int64
	DeliveredAt   int64
}

// DeliveryAttempt is one try to deliver.
type DeliveryAttempt struct {
	DeliveryID string `json:"deliveryId"`
	Attempt    int    `json:"attempt"`
	At         int64  `json:"at"`
	StatusCode int    `json:"statusCode,omitempty"`
	Error      string `json:"error,omitempty"`
	DurationMs int64  `json:"durationMs"`
}
