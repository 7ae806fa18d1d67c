package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// rebind turns ? placeholders into $1, $2, ...
func rebind(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CountWebhookEndpoints implements vigil.WebhookTx: it first locks the tenant's row, so that
// transactions counting the same tenant's endpoints wait for each other.
func (t *pgTx) CountWebhookEndpoints(ctx context.Context, tenantID string) (int, error) {
	if _, err := t.tx.Exec(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, tenantID); err != nil {
		return 0, mapError(err)
	}
	var n int
	err := t.tx.QueryRow(ctx, `SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1`, tenantID).Scan(&n)
	return n, mapError(err)
}

func (t *pgTx) PutWebhookEndpoint(ctx context.Context, e vigil.WebhookEndpoint) error {
	secrets, err := json.Marshal(e.Secrets)
	if err != nil {
		return err
	}
	enabled := int64(0)
	if e.Enabled {
		enabled = 1
	}
	_, err = t.tx.Exec(ctx, rebind(`INSERT INTO webhook_endpoints (tenant_id, id, url, events, origin, secrets, enabled,
		created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, id) DO UPDATE SET url = excluded.url,
		events = excluded.events, origin = excluded.origin, secrets = excluded.secrets, enabled = excluded.enabled`),
		e.TenantID, e.ID, e.URL, strings.Join(e.Events, ","), e.Origin, secrets, enabled, e.CreatedAt)
	if err != nil {
		return mapError(err)
	}
	return t.configChanged(ctx, e.TenantID)
}

func (t *pgTx) DeleteWebhookEndpoint(ctx context.Context, tenantID, id string) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return mapError(err)
	}
	if tag.RowsAffected() == 0 {
		return vigil.ErrNotFound
	}
	if err := t.configChanged(ctx, tenantID); err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2 AND status = $3`,
		tenantID, id, vigil.DeliveryPending)
	return mapError(err)
}

func (t *pgTx) InsertDelivery(ctx context.Context, d vigil.Delivery) error {
	return t.exec(ctx, insertDelivery(d))
}

func (t *pgTx) RetryDelivery(ctx context.Context, tenantID, id string, now int64) error {
	tag, err := t.tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, lease_until = 0
		WHERE tenant_id = $3 AND id = $4`, vigil.DeliveryPending, now, tenantID, id)
	if err != nil {
		return mapError(err)
	}
	if tag.RowsAffected() == 0 {
		return vigil.ErrNotFound
	}
	return nil
}

// WebhookEndpoints implements vigil.WebhookStore.
func (s *Store) WebhookEndpoints(ctx context.Context, tenantID string) ([]vigil.WebhookEndpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT tenant_id, id, url, events, origin, secrets, enabled, created_at
		FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.Endpoint)
	return out, mapError(err)
}

// Deliveries implements vigil.WebhookStore.
func (s *Store) Deliveries(ctx context.Context, tenantID, endpointID, status string, limit int) ([]vigil.Delivery, error) {
	return scanDeliveries(s.pool.Query(ctx, rebind(`SELECT `+sqlrow.DeliveryColumns+` FROM webhook_deliveries
		WHERE tenant_id = ? AND endpoint_id = ? AND (? = '' OR status = ?) ORDER BY created_at DESC, seq DESC LIMIT ?`),
		tenantID, endpointID, status, status, limit))
}

// UserDeliveries implements vigil.WebhookStore.
func (s *Store) UserDeliveries(ctx context.Context, tenantID, userUID string, after vigil.DeliveryCursor, limit int) ([]vigil.Delivery, error) {
	return scanDeliveries(s.pool.Query(ctx, rebind(`SELECT `+sqlrow.DeliveryColumns+` FROM webhook_deliveries
		WHERE tenant_id = ? AND order_key = ? AND (?::text = '' OR (created_at, seq, id) < (?::bigint, ?::bigint, ?::text))
		ORDER BY created_at DESC, seq DESC, id DESC LIMIT ?`),
		tenantID, userUID, after.ID, after.CreatedAt, after.Seq, after.ID, limit))
}

// Delivery implements vigil.WebhookStore.
func (s *Store) Delivery(ctx context.Context, tenantID, id string) (vigil.Delivery, []vigil.DeliveryAttempt, error) {
	ds, err := scanDeliveries(s.pool.Query(ctx, `SELECT `+sqlrow.DeliveryColumns+` FROM webhook_deliveries
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return vigil.Delivery{}, nil, err
	}
	if len(ds) == 0 {
		return vigil.Delivery{}, nil, vigil.ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT delivery_id, attempt, at, status_code, error, duration_ms
		FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`, id)
	if err != nil {
		return vigil.Delivery{}, nil, mapError(err)
	}
	defer rows.Close()
	attempts, err := sqlrow.Collect(rows, sqlrow.Attempt)
	return ds[0], attempts, mapError(err)
}

// ClaimDeliveries implements vigil.WebhookStore: one statement selects the due deliveries and
// leases them; a row another process leased meanwhile fails the lease condition once its lock
// is released, so each delivery has one holder.
func (s *Store) ClaimDeliveries(ctx context.Context, c vigil.DeliveryClaim) ([]vigil.Delivery, error) {
	perEndpoint := c.PerEndpoint
	if perEndpoint <= 0 {
		perEndpoint = c.Limit
	}
	skip := append([]string{}, c.SkipEndpoints...)
	return scanDeliveries(s.pool.Query(ctx, rebind(`UPDATE webhook_deliveries SET lease_until = ?
		WHERE lease_until <= ? AND status = 'PENDING' AND id IN (SELECT id FROM (SELECT c.id, c.next_attempt_at, c.seq,
				ROW_NUMBER() OVER (PARTITION BY c.endpoint_id ORDER BY c.next_attempt_at, c.seq) AS endpoint_rank
			FROM (SELECT d.id, d.endpoint_id, d.next_attempt_at, d.seq FROM webhook_deliveries d
				WHERE d.status = 'PENDING' AND d.next_attempt_at <= ? AND d.lease_until <= ?
				AND NOT (d.endpoint_id = ANY(?::text[]))
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
					AND p.order_key = d.order_key AND p.seq < d.seq AND p.status = 'PENDING' AND p.attempts < 3)
				ORDER BY d.next_attempt_at, d.seq LIMIT ?) c) ranked
			WHERE endpoint_rank <= ? ORDER BY next_attempt_at, seq LIMIT ?)
		RETURNING `+sqlrow.DeliveryColumns), c.LeaseUntil, c.Now, c.Now, c.Now, skip,
		vigil.ClaimCandidates*c.Limit, perEndpoint, c.Limit))
}

// FinishAttempt implements vigil.WebhookStore.
func (s *Store) FinishAttempt(ctx context.Context, d vigil.Delivery, a vigil.DeliveryAttempt) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, rebind(`UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
			lease_until = 0, last_status = ?, last_error = ?, delivered_at = ? WHERE id = ?`),
			d.Status, d.Attempts, d.NextAttemptAt, d.LastStatus, d.LastError, d.DeliveredAt, d.ID); err != nil {
			return mapError(err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
			VALUES ($1, $2, $3, $4, $5, $6)`, a.DeliveryID, a.Attempt, a.At, a.StatusCode, a.Error, a.DurationMs)
		return mapError(err)
	})
}

func scanDeliveries(rows pgx.Rows, err error) ([]vigil.Delivery, error) {
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.Delivery)
	return out, mapError(err)
}
