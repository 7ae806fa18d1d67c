package metrics_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strconv"
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
	m.RuleFailed("acme", "R-U1.1")
	m.EventRecomputed()
	m.EventRecomputed()
	m.HistoryRefolded(150)
	m.Observe("POST /events/consumer/user", 201, 3*time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`vigil_rule_failures_total{rule="R-U1.1",tenant="acme"} 1`,
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

// TestRuleFailureSeriesBounded checks that tenants naming ever more rules, and ever more tenants,
// leave the series count flat past MaxRuleFailureSeries, while every failure is still counted.
func TestRuleFailureSeriesBounded(t *testing.T) {
	m := metrics.New()
	const failures = 3 * metrics.MaxRuleFailureSeries
	for i := range failures {
		m.RuleFailed(fmt.Sprintf("tenant-%d", i%7), fmt.Sprintf("R-%d", i))
	}
	m.RuleFailed("tenant-0", "R-0") // an early pair keeps its own series
	series, total := 0, 0.0
	for _, line := range exposition(t, m) {
		if rest, ok := strings.CutPrefix(line, "vigil_rule_failures_total{"); ok {
			series++
			n, err := strconv.ParseFloat(rest[strings.LastIndex(rest, " ")+1:], 64)
			if err != nil {
				t.Fatal(err)
			}
			total += n
			if strings.Contains(rest, `rule="R-0",tenant="tenant-0"`) && n != 2 {
				t.Errorf("R-0 of tenant-0 counted %v, want 2", n)
			}
		}
	}
	if series != metrics.MaxRuleFailureSeries+1 || total != failures+1 {
		t.Fatalf("%d series counting %v failures; want %d series (the bound and %q) counting %d",
			series, total, metrics.MaxRuleFailureSeries+1, metrics.OtherLabel, failures+1)
	}
}

func exposition(t *testing.T, m *metrics.Metrics) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return strings.Split(rec.Body.String(), "\n")
}
