package metrics_test

import (
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/metrics"
	"github.com/vigil-aml/vigil/internal/vigil"
)

var (
	_ vigil.Metrics           = (*metrics.Metrics)(nil)
	_ vigil.TermIndexObserver = (*metrics.Metrics)(nil)
)

// TestExposition checks that what the service and the server count reaches the text format.
func TestExposition(t *testing.T) {
	m := metrics.New()
	m.RuleFailed("time")
	m.EventRecomputed()
	m.EventRecomputed()
	m.HistoryRefolded(150)
	m.Observe("POST /events/consumer/user", 201, 3*time.Millisecond)
	m.WriterGroup(3, 700*time.Microsecond)
	m.WALWrapped(4 * time.Millisecond)
	m.TermsPending(1200)
	m.TermsPending(37)
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
		`vigil_sqlite_writer_group_seconds_bucket{le="0.0005"} 0`,
		`vigil_sqlite_writer_group_seconds_bucket{le="0.001"} 1`,
		`vigil_sqlite_writer_group_units_bucket{le="2"} 0`,
		`vigil_sqlite_writer_group_units_bucket{le="4"} 1`,
		`vigil_sqlite_wal_wrap_seconds_bucket{le="0.005"} 1`,
		"vigil_search_index_pending_users 37\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}

// TestRuleFailureSeriesBounded checks that rule failures are counted by reason alone: whatever
// tenants and rules fail, the series are at most the three reasons.
func TestRuleFailureSeriesBounded(t *testing.T) {
	m := metrics.New()
	reasons := []string{"time", "memory", "error"}
	for i := range 3000 {
		m.RuleFailed(reasons[i%3])
	}
	series, total := 0, 0.0
	for _, line := range exposition(t, m) {
		if rest, ok := strings.CutPrefix(line, "vigil_rule_failures_total{"); ok {
			series++
			n, err := strconv.ParseFloat(rest[strings.LastIndex(rest, " ")+1:], 64)
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
	}
	if series != 3 || total != 3000 {
		t.Fatalf("%d series counting %v failures; want 3 (one per reason) counting 3000", series, total)
	}
}

func exposition(t *testing.T, m *metrics.Metrics) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return strings.Split(rec.Body.String(), "\n")
}
