package console

import (
	"net/http"
	"sort"

	"github.com/vigil-aml/vigil/internal/vigil"
)

func init() {
	// The rules and overview pages' helpers, beside pages.go's.
	funcs["rulePath"] = rulePath
	funcs["heat"] = heat
	funcs["day"] = day
}

// maxChartRules bounds the rules the overview's chart shows (those with the most hits), so the
// page stays small whatever the number of rules.
const maxChartRules = 40

// chartRow is one rule's hits per day in the overview's chart.
type chartRow struct {
	RuleInstanceID string
	Shadow         bool
	Days           []int64
	Total          int64
}

// overviewData is the overview page.
type overviewData struct {
	vigil.Overview
	// Days are the chart's days (epoch ms), Rows its rules, Max the largest count in it.
	Days   []int64
	Rows   []chartRow
	Max    int64
	Hidden int
}

// overviewPage shows the tenant at a glance: users by CRA level, hits per rule per day over 30
// days (a table shaded by count: no script), and the webhook endpoints' delivery health.
func (c *console) overviewPage(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	o, err := c.svc.Overview(r.Context(), in.Tenant)
	var stats vigil.RuleHitStats
	if err == nil {
		stats, err = c.svc.RuleHitStats(r.Context(), in.Tenant)
	}
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	data := overviewData{Overview: o, Days: stats.Days}
	add := func(daily map[string][]int64, shadow bool) {
		for id, days := range daily {
			row := chartRow{RuleInstanceID: id, Shadow: shadow, Days: days}
			for _, n := range days {
				row.Total += n
				data.Max = max(data.Max, n)
			}
			data.Rows = append(data.Rows, row)
		}
	}
	add(stats.Daily, false)
	add(stats.DailyShadow, true)
	sort.Slice(data.Rows, func(i, j int) bool {
		a, b := data.Rows[i], data.Rows[j]
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		if a.RuleInstanceID != b.RuleInstanceID {
			return a.RuleInstanceID < b.RuleInstanceID
		}
		return !a.Shadow
	})
	if len(data.Rows) > maxChartRules {
		data.Hidden, data.Rows = len(data.Rows)-maxChartRules, data.Rows[:maxChartRules]
	}
	c.render(w, r, http.StatusOK, "overview", page{Analyst: &in.Analyst, Tenant: in.Tenant.Name, CSRF: in.Session.CSRF, Data: data})
}

// heat is the shade class of a count in a chart whose largest count is top: h0 for none, then
// h1 to h4 by quarters of top.
func heat(n, top int64) string {
	if n <= 0 || top <= 0 {
		return "h0"
	}
	return [...]string{"h1", "h2", "h3", "h4"}[min(3, (n-1)*4/top)]
}

// day shows an epoch-ms day as its date, month and day only.
func day(ms int64) string { return when(ms)[5:10] }
