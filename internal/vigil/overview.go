package vigil

import (
	"context"
	"net/url"
	"sort"
)

// The console's windows of rule hits, in hours and days.
const (
	hitDays = 30
)

// HitWindows are a rule's hits over the last 24 hours, 7 days and 30 days. Counters are kept
// by the hour: Day is the current hour and the 23 before it, Week and Month the last 7 and 30
// UTC days, today included.
type HitWindows struct {
	Day, Week, Month int64
}

// RuleHitStats are a tenant's hit counts: per rule instance id, its live hits and its would-hits
// as a shadow rule, and its live hits per UTC day of the last 30 (Days, oldest first).
type RuleHitStats struct {
	Hits, WouldHits map[string]HitWindows
	// Days are the first epoch ms of each of the last 30 UTC days, today last.
	Days []int64
	// Daily are each rule's live hits per day of Days; DailyShadow its would-hits.
	Daily, DailyShadow map[string][]int64
}

// RuleHitStats reads the hit counters kept with each write (Entry.RuleHits) of the last 30
// days: a row per rule and day with hits (each with its 24 hours), whatever the number of
// users or writes.
func (s *Service) RuleHitStats(ctx context.Context, tenant Tenant) (RuleHitStats, error) {
	hour := s.nowMillis() / HourMillis
	today := hour / 24
	firstDay := today - hitDays + 1
	st := RuleHitStats{Hits: map[string]HitWindows{}, WouldHits: map[string]HitWindows{},
		Daily: map[string][]int64{}, DailyShadow: map[string][]int64{}}
	for d := firstDay; d <= today; d++ {
		st.Days = append(st.Days, d*24*HourMillis)
	}
	days, err := s.store.RuleHitDays(ctx, tenant.ID, firstDay)
	if err != nil {
		return st, err
	}
	for _, c := range days {
		if c.Day < firstDay || c.Day > today {
			continue // a clock that went back
		}
		windows, series := st.Hits, st.Daily
		if c.Shadow {
			windows, series = st.WouldHits, st.DailyShadow
		}
		w := windows[c.RuleInstanceID]
		var total int64
		for h, n := range c.Hours {
			total += n
			if at := c.Day*24 + int64(h); at > hour-24 && at <= hour {
				w.Day += n
			}
		}
		w.Month += total
		if c.Day > today-7 {
			w.Week += total
		}
		windows[c.RuleInstanceID] = w
		if series[c.RuleInstanceID] == nil {
			series[c.RuleInstanceID] = make([]int64, hitDays)
		}
		series[c.RuleInstanceID][c.Day-firstDay] += total
	}
	return st, nil
}

// RiskLevels are the CRA risk levels, lowest first.
var RiskLevels = []string{"VERY_LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH"}

// LevelCount is how many users are at one CRA level.
type LevelCount struct {
	Level string
	Users int64
}

// EndpointHealth is how one webhook endpoint's deliveries of the last 24 hours went.
type EndpointHealth struct {
	ID string
	// Where is the endpoint's URL without its query or credentials (those may hold secrets).
	Where   string
	Enabled bool
	// Delivered, Pending and Failed count deliveries by status; Retried those that failed at
	// least once.
	Delivered, Pending, Failed, Retried int64
	// Failures are the failure classes of the endpoint's latest deliveries that failed, most
	// frequent first.
	Failures []FailureClass
}

// FailureClass is a class of delivery failure (an HTTP status or a transport error's class) and
// how many of the latest deliveries last failed with it.
type FailureClass struct {
	Class string
	Count int
	// Last is when the newest of them was created (epoch ms).
	Last int64
}

// Overview is the console's overview of a tenant.
type Overview struct {
	// Users counts the tenant's users; Levels by their CRA level (a user without one is in
	// neither).
	Users  int64
	Levels []LevelCount
	// Endpoints are the webhook endpoints' health over the last 24 hours.
	Endpoints []EndpointHealth
}

// overviewWindow is the window of the webhook health, and recentDeliveries how many of an
// endpoint's latest deliveries its failure classes are read from.
const (
	overviewWindow   = 24 * HourMillis
	recentDeliveries = 200
)

// Overview counts a tenant's users by CRA level (from the search index, so each count costs the
// range of one term) and its webhook endpoints' deliveries of the last 24 hours.
func (s *Service) Overview(ctx context.Context, tenant Tenant) (Overview, error) {
	var o Overview
	var err error
	if o.Users, err = s.store.CountTerm(ctx, tenant.ID, TermAll); err != nil {
		return o, err
	}
	for _, level := range RiskLevels {
		n, err := s.store.CountTerm(ctx, tenant.ID, termCRA+level)
		if err != nil {
			return o, err
		}
		o.Levels = append(o.Levels, LevelCount{Level: level, Users: n})
	}
	endpoints, err := s.store.WebhookEndpoints(ctx, tenant.ID)
	if err != nil {
		return o, err
	}
	since := s.nowMillis() - overviewWindow
	for _, e := range endpoints {
		h := EndpointHealth{ID: e.ID, Where: urlWithoutSecrets(e.URL), Enabled: e.Enabled}
		counts, err := s.store.DeliveryCounts(ctx, tenant.ID, e.ID, since)
		if err != nil {
			return o, err
		}
		for _, c := range counts {
			switch c.Status {
			case DeliveryDelivered:
				h.Delivered = c.Count
			case DeliveryPending:
				h.Pending = c.Count
			case DeliveryFailed:
				h.Failed = c.Count
			}
			h.Retried += c.Retried
		}
		recent, err := s.store.Deliveries(ctx, tenant.ID, e.ID, "", recentDeliveries)
		if err != nil {
			return o, err
		}
		h.Failures = failureClasses(recent)
		o.Endpoints = append(o.Endpoints, h)
	}
	return o, nil
}

// failureClasses groups the deliveries whose last attempt failed by its class (the dispatcher
// records the class, never the receiver's answer).
func failureClasses(ds []Delivery) []FailureClass {
	byClass := map[string]*FailureClass{}
	var out []*FailureClass
	for _, d := range ds {
		if d.Status == DeliveryDelivered || d.LastError == "" {
			continue
		}
		c := byClass[d.LastError]
		if c == nil {
			c = &FailureClass{Class: d.LastError}
			byClass[d.LastError] = c
			out = append(out, c)
		}
		c.Count++
		c.Last = max(c.Last, d.CreatedAt)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	classes := make([]FailureClass, len(out))
	for i, c := range out {
		classes[i] = *c
	}
	return classes
}

// urlWithoutSecrets is a URL's scheme, host and path: its user info and query may carry a
// receiver's credentials, which viewers need not see.
func urlWithoutSecrets(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
