package vigil

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Bounds of a user's delivery listing (the console's user page).
const (
	DefaultUserDeliveries = 20
	MaxUserDeliveries     = 100
)

// deliverySummary is one delivery without its payload and attempts: what it is and how it went.
// A user's listing shows it alone (the endpoint's listing and GET /webhook-deliveries/{id} add
// the rest: deliveryView).
type deliverySummary struct {
	ID            string `json:"id"`
	EndpointID    string `json:"endpointId"`
	Type          string `json:"type"`
	Status        string `json:"status"`
	Attempts      int    `json:"attempts"`
	NextAttemptAt int64  `json:"nextAttemptAt,omitempty"`
	LastStatus    int    `json:"lastStatusCode,omitempty"`
	// LastError is the class of the last failure (the dispatcher stores classes, not messages).
	LastError   string `json:"lastError,omitempty"`
	CreatedAt   int64  `json:"createdAt"`
	DeliveredAt int64  `json:"deliveredAt,omitempty"`
}

// summaryOf is a delivery's summary; the next attempt's time only while it is pending.
func summaryOf(d Delivery) deliverySummary {
	v := deliverySummary{ID: d.ID, EndpointID: d.EndpointID, Type: d.Type, Status: d.Status, Attempts: d.Attempts,
		LastStatus: d.LastStatus, LastError: d.LastError, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt}
	if d.Status == DeliveryPending {
		v.NextAttemptAt = d.NextAttemptAt
	}
	return v
}

// UserDeliveries lists the webhook deliveries of a user's writes (every notification about the
// user, to every endpoint), newest first, limit at a time (DefaultUserDeliveries when 0) after
// cursor, the next of the previous page. Its answer is {"deliveries": [...], "next": "..."},
// next absent on the last page.
func (s *Service) UserDeliveries(ctx context.Context, tenant Tenant, kind Kind, userID, cursor string, limit int) ([]byte, error) {
	if limit == 0 {
		limit = DefaultUserDeliveries
	}
	if limit < 0 || limit > MaxUserDeliveries {
		return nil, invalidf("limit", "must be from 1 to %d", MaxUserDeliveries)
	}
	var after DeliveryCursor
	if cursor != "" {
		var ok bool
		if after, ok = decodeDeliveryCursor(cursor); !ok {
			return nil, invalidf("cursor", "is not a cursor this server issued; pass the next value of a previous page unchanged")
		}
	}
	rec, err := s.store.User(ctx, tenant.ID, userID)
	if errors.Is(err, ErrNotFound) || (err == nil && rec.Kind != kind) {
		return nil, notFoundOrErased(ctx, s.store.ErasedAt, tenant.ID, userID, notFoundf("No %s with userId %q", names[kind].noun, userID))
	}
	if err != nil {
		return nil, err
	}
	ds, err := s.store.UserDeliveries(ctx, tenant.ID, rec.UID, after, limit+1)
	if err != nil {
		return nil, err
	}
	page := struct {
		Deliveries []deliverySummary `json:"deliveries"`
		Next       string            `json:"next,omitempty"`
	}{Deliveries: make([]deliverySummary, 0, min(len(ds), limit))}
	for i, d := range ds {
		if i == limit {
			last := ds[i-1]
			page.Next = encodeDeliveryCursor(DeliveryCursor{CreatedAt: last.CreatedAt, Seq: last.Seq, ID: last.ID})
			break
		}
		page.Deliveries = append(page.Deliveries, summaryOf(d))
	}
	return mustEncode(page), nil
}

// encodeDeliveryCursor makes the opaque cursor of the page after a delivery.
func encodeDeliveryCursor(c DeliveryCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedAt, 10) + "." + strconv.FormatInt(c.Seq, 10) + "." + c.ID))
}

func decodeDeliveryCursor(s string) (DeliveryCursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return DeliveryCursor{}, false
	}
	parts := strings.SplitN(string(raw), ".", 3)
	if len(parts) != 3 || parts[2] == "" || len(parts[2]) > 64 {
		return DeliveryCursor{}, false
	}
	at, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || at < 0 || seq < 0 {
		return DeliveryCursor{}, false
	}
	return DeliveryCursor{CreatedAt: at, Seq: seq, ID: parts[2]}, true
}
