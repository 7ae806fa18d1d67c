package vigil

import "context"

// RuleHit is one rule that one write hit: a live rule's hit, or a shadow rule's would-hit.
type RuleHit struct {
	RuleInstanceID string
	Shadow         bool
}

// HourMillis is the width of a hit counter: counts are kept by the hour of the write.
const HourMillis = int64(3_600_000)

// RuleHitDay is how many writes hit one rule in each hour of one UTC day (Day is epoch ms /
// HourMillis / 24; Hours[h] counts the writes of its hour h).
type RuleHitDay struct {
	RuleInstanceID string
	Shadow         bool
	Day            int64
	Hours          [24]int64
}

// RuleHitStore reads the counters a store keeps from entries' RuleHits. Every Store
// implements it.
type RuleHitStore interface {
	// RuleHitDays lists a tenant's hit counts from the day fromDay on, one per day, rule and
	// shadow flag that had hits, ordered by day, rule and shadow flag.
	RuleHitDays(ctx context.Context, tenantID string, fromDay int64) ([]RuleHitDay, error)
}

// DeliveryCount is how many of an endpoint's deliveries, created in a window, are in a status;
// Retried counts those among them that failed at least once (a delivered one took more than
// one attempt, another had an attempt).
type DeliveryCount struct {
	EndpointID string
	Status     string
	Count      int64
	Retried    int64
}

// OverviewStore reads the tenant-wide counts of the console's overview from indexes, without
// reading users. Every Store implements it.
type OverviewStore interface {
	// CountTerm counts a tenant's users that have a search term (search_terms.go): read from
	// the term index, so its cost is that of the term's range.
	CountTerm(ctx context.Context, tenantID, term string) (int64, error)
	// DeliveryCounts counts an endpoint's deliveries created at or after since (epoch ms), by
	// status: the cost is the window's deliveries.
	DeliveryCounts(ctx context.Context, tenantID, endpointID string, since int64) ([]DeliveryCount, error)
}
