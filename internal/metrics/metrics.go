// Package metrics keeps Vigil's Prometheus metrics: request counts and latencies by route and
// status, rule failures, events computed again or refolded, and how SQLite's single writer
// spends its time. It implements the domain's
// Metrics interface. Every label has a bounded set of values: routes are the API's patterns,
// never raw paths, and rule failures are counted by reason (time, memory, error), not by tenant
// or rule, which tenants name without limit.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one registry of Vigil's metrics.
type Metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	ruleFailures *prometheus.CounterVec
	recomputed   prometheus.Counter
	refolds      prometheus.Histogram
	groupHeld    prometheus.Histogram
	groupUnits   prometheus.Histogram
	walWraps     prometheus.Histogram
	termsPending prometheus.Gauge
}

// New registers Vigil's metrics and the Go runtime's on a new registry.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vigil_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		ruleFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_rule_failures_total", Help: "Rules that failed to evaluate and counted as not hit, by reason (time, memory, error).",
		}, []string{"reason"}),
		recomputed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_event_recomputations_total",
			Help: "Events whose outcome, computed before their write, went stale and was computed again.",
		}),
		refolds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigil_history_refold_entries",
			Help:    "Late events by the length of the history they refolded (entries).",
			Buckets: []float64{10, 100, 1000, 10000, 100000},
		}),
		groupHeld: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigil_sqlite_writer_group_seconds",
			Help:    "How long each group of writes held SQLite's single writer, its commit included (every write waits for it).",
			Buckets: []float64{.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25},
		}),
		groupUnits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigil_sqlite_writer_group_units",
			Help:    "Writes committed together by SQLite's single writer, per group.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		walWraps: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigil_sqlite_wal_wrap_seconds",
			Help:    "Pauses of SQLite's single writer to let the WAL start over (every write waits for them).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25},
		}),
		termsPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigil_search_index_pending_users",
			Help: "Users whose changes wait for the search's term index, counted at the start of the indexer's last round (every 2 s).",
		}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.ruleFailures, m.recomputed, m.refolds, m.groupHeld, m.groupUnits, m.walWraps, m.termsPending,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// RuleFailed implements vigil.Metrics.
func (m *Metrics) RuleFailed(reason string) {
	m.ruleFailures.WithLabelValues(reason).Inc()
}

// EventRecomputed implements vigil.Metrics.
func (m *Metrics) EventRecomputed() { m.recomputed.Inc() }

// HistoryRefolded implements vigil.Metrics.
func (m *Metrics) HistoryRefolded(entries int) { m.refolds.Observe(float64(entries)) }

// WriterGroup implements sqlite.WriterObserver.
func (m *Metrics) WriterGroup(units int, held time.Duration) {
	m.groupHeld.Observe(held.Seconds())
	m.groupUnits.Observe(float64(units))
}

// WALWrapped implements sqlite.WriterObserver.
func (m *Metrics) WALWrapped(paused time.Duration) { m.walWraps.Observe(paused.Seconds()) }

// TermsPending implements vigil.TermIndexObserver.
func (m *Metrics) TermsPending(users int) { m.termsPending.Set(float64(users)) }

// Observe records one request. route must come from a bounded set (the API's route patterns).
func (m *Metrics) Observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
