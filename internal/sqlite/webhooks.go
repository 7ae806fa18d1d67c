package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

const (
	qInsertDelivery = `INSERT INTO webhook_deliveries (` + sqlrow.DeliveryColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qWebhookEndpoints = `SELECT tenant_id, id, url, events, origin, secrets, enabled, created_at
		FROM webhook_endpoints WHERE tenant_id = ? ORDER BY created_at, id`
)

// CountWebhookEndpoints implements vigil.WebhookTx; SQLite has one writer, so transactions
// count one after the other.
func (t *sqlTx) CountWebhookEndpoints(ctx context.Context, tenantID string) (int, error) {
	var n int
	err := t.q().QueryRowContext(ctx, `SELECT count(*) FROM webhook_endpoints WHERE tenant_id = ?`, tenantID).Scan(&n)
	return n, err
}

func (t *sqlTx) PutWebhookEndpoint(ctx context.Context, e vigil.WebhookEndpoint) error {
	secrets, err := json.Marshal(e.Secrets)
	if err != nil {
		return err
	}
	_, err = t.q().ExecContext(ctx, `INSERT INTO webhook_endpoints (tenant_id, id, url, events, origin, secrets, enabled,
		created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, id) DO UPDATE SET url = excluded.url,
		events = excluded.events, origin = excluded.origin, secrets = excluded.secrets, enabled = excluded.enabled`,
		e.TenantID, e.ID, e.URL, strings.Join(e.Events, ","), e.Origin, secrets, e.Enabled, e.CreatedAt)
	if err != nil {
		return err
	}
	return t.configChanged(ctx, e.TenantID)
}

func (t *sqlTx) DeleteWebhookEndpoint(ctx context.Context, tenantID, id string) error {
	res, err := t.q().ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vigil.ErrNotFound
	}
	if err := t.configChanged(ctx, tenantID); err != nil {
		return err
	}
	_, err = t.q().ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE tenant_id = ? AND endpoint_id = ? AND status = ?`,
		tenantID, id, vigil.DeliveryPending)
	return err
}

func (t *sqlTx) InsertDelivery(ctx context.Context, d vigil.Delivery) error {
	_, err := t.q().ExecContext(ctx, qInsertDelivery, d.ID, d.TenantID, d.EndpointID, d.OrderKey, d.Seq, d.Type,
		d.Payload, d.Status, d.Attempts, d.NextAttemptAt, d.LeaseUntil, d.LastStatus, d.LastError, d.CreatedAt, d.DeliveredAt)
	return duplicate(err)
}

func (t *sqlTx) RetryDelivery(ctx context.Context, tenantID, id string, now int64) error {
	res, err := t.q().ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, lease_until = 0
		WHERE tenant_id = ? AND id = ?`, vigil.DeliveryPending, now, tenantID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vigil.ErrNotFound
	}
	return nil
}

// WebhookEndpoints implements vigil.WebhookStore.
func (s *Store) WebhookEndpoints(ctx context.Context, tenantID string) ([]vigil.WebhookEndpoint, error) {
	rows, err := s.reads().QueryContext(ctx, qWebhookEndpoints, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.Endpoint)
	return out, err
}

// Deliveries implements vigil.WebhookStore.
func (s *Store) Deliveries(ctx context.Context, tenantID, endpointID, status string, limit int) ([]vigil.Delivery, error) {
	return scanDeliveries(s.read.QueryContext(ctx, `SELECT `+sqlrow.DeliveryColumns+` FROM webhook_deliveries
		WHERE tenant_id = ? AND endpoint_id = ? AND (? = '' OR status = ?) ORDER BY created_at DESC, seq DESC LIMIT ?`,
		tenantID, endpointID, status, status, limit))
}

// UserDeliveries implements vigil.WebhookStore.
func (s *Store) UserDeliveries(ctx context.Context, tenantID, userUID string, after vigil.DeliveryCursor, limit int) ([]vigil.Delivery, error) {
	return scanDeliveries(s.read.QueryContext(ctx, `SELECT `+sqlrow.DeliveryColumns+` FROM webhook_deliveries
		WHERE tenant_id = ? AND order_key = ? AND (? = '' OR (created_at, seq, id) < (?, ?, ?))
		ORDER BY created_at DESC, seq DESC, id DESC LIMIT ?`,
		tenantID, userUID, after.ID, after.CreatedAt, after.Seq, after.ID, limit))
}

// Delivery implements vigil.WebhookStore.
func (s *Store) Delivery(ctx context.Context, tenantID, id string) (vigil.Delivery, []vigil.DeliveryAttempt, error) {
	ds, err := scanDeliveries(s.read.QueryContext(ctx, `SELECT `+sqlrow.DeliveryColumns+` FROM webhook_deliveries
		WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if err != nil {
		return vigil.Delivery{}, nil, err
	}
	if len(ds) == 0 {
		return vigil.Delivery{}, nil, vigil.ErrNotFound
	}
	rows, err := s.read.QueryContext(ctx, `SELECT delivery_id, attempt, at, status_code, error, duration_ms
		FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt`, id)
	if err != nil {
		return vigil.Delivery{}, nil, err
	}
	defer rows.Close()
	attempts, err := sqlrow.Collect(rows, sqlrow.Attempt)
	return ds[0], attempts, err
}

// claimQuery finds due deliveries not held back by an earlier one of the same order key and
// endpoint (pending and failed fewer than three times), none for the endpoints listed in a JSON
// array, and among the oldest few of those at most a number per endpoint.
const claimQuery = `SELECT ` + sqlrow.DeliveryColumns + ` FROM (SELECT c.*, ROW_NUMBER() OVER (
		PARTITION BY c.endpoint_id ORDER BY c.next_attempt_at, c.seq) AS endpoint_rank
	FROM (SELECT d.* FROM webhook_deliveries d
		WHERE d.status = 'PENDING' AND d.next_attempt_at <= ? AND d.lease_until <= ?
		AND d.endpoint_id NOT IN (SELECT value FROM json_each(?))
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
			AND p.order_key = d.order_key AND p.seq < d.seq AND p.status = 'PENDING' AND p.attempts < 3)
		ORDER BY d.next_attempt_at, d.seq LIMIT ?) c)
	WHERE endpoint_rank <= ? ORDER BY next_attempt_at, seq LIMIT ?`

// ClaimDeliveries implements vigil.WebhookStore. The lease is taken by a conditional update
// through the writer, so one caller gets each delivery.
func (s *Store) ClaimDeliveries(ctx context.Context, c vigil.DeliveryClaim) ([]vigil.Delivery, error) {
	skip, err := json.Marshal(append([]string{}, c.SkipEndpoints...))
	if err != nil {
		return nil, err
	}
	perEndpoint := c.PerEndpoint
	if perEndpoint <= 0 {
		perEndpoint = c.Limit
	}
	now, leaseUntil := c.Now, c.LeaseUntil
	due, err := scanDeliveries(s.read.QueryContext(ctx, claimQuery, now, now, string(skip),
		vigil.ClaimCandidates*c.Limit, perEndpoint, c.Limit))
	if err != nil || len(due) == 0 {
		return nil, err
	}
	var claimed []vigil.Delivery
	err = s.Update(ctx, func(tx vigil.Tx) error {
		claimed = claimed[:0]
		st := tx.(*sqlTx)
		for _, d := range due {
			res, err := st.q().ExecContext(ctx, `UPDATE webhook_deliveries SET lease_until = ?
				WHERE id = ? AND status = 'PENDING' AND lease_until <= ?`, leaseUntil, d.ID, now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				d.LeaseUntil = leaseUntil
				claimed = append(claimed, d)
			}
		}
		return nil
	})
	return claimed, err
}

// FinishAttempt implements vigil.WebhookStore.
func (s *Store) FinishAttempt(ctx context.Context, d vigil.Delivery, a vigil.DeliveryAttempt) error {
	return s.Update(ctx, func(tx vigil.Tx) error {
		st := tx.(*sqlTx)
		if _, err := st.q().ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
			lease_until = 0, last_status = ?, last_error = ?, delivered_at = ? WHERE id = ?`,
			d.Status, d.Attempts, d.NextAttemptAt, d.LastStatus, d.LastError, d.DeliveredAt, d.ID); err != nil {
			return err
		}
		_, err := st.q().ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
			VALUES (?, ?, ?, ?, ?, ?)`, a.DeliveryID, a.Attempt, a.At, a.StatusCode, a.Error, a.DurationMs)
		return err
	})
}

func scanDeliveries(rows *sql.Rows, err error) ([]vigil.Delivery, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.Delivery)
	return out, err
}
