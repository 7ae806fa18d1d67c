package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/metrics"
	"github.com/vigil-aml/vigil/internal/vigil"
)

var _ vigil.Metrics = (*metrics.Metrics)(nil)

// TestExposition checks that what the service and the server count reaches the text format.
func TestExposition(t *testing.T) {
	m := metrics.New()
	m.RuleFailed("time")
	m.EventRecomputed()
	m.EventRecomputed()
	m.HistoryRefolded(150)
	m.Observe("POST /events/consumer/user", 201, 3*time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`vigil_rule_failures_total{reason="time"} 1`,
		`vigil_event_recomputations_total 2`,
		`vigil_history_refold_entries_bucket{le="100"} 0`,
		`vigil_history_refold_entries_bucket{le="1000"} 1`,
		`vigil_history_refold_entries_sum 150`,
		`vigil_http_requests_total{route="POST /events/consumer/user",status="201"} 1`,
		`vigil_http_request_duration_seconds_count{route="POST /events/consumer/user"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}
