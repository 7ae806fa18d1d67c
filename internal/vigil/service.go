package vigil

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/schema"
)

// Service is Vigil's business logic: every create, update and event goes through it.
type Service struct {
	store     Store
	validator *schema.Validator
	// foreignFields lists, per kind, the fields only the other kind's schema knows: a conversion
	// into that kind drops them from the profile (they stay in the history).
	foreignFields map[Kind]map[string]bool
	models        models
	ruleSets      ruleSets
	ruleBudget    rules.Budget
	ruleLimits    rules.Limits
	ruleFailures  ruleFailures
	users         *userCache
	contexts      ruleContexts
	identities    ruleIdentities
	ruleLists     ruleLists
	// lists is the screening index over the stored lists (screening_index.go).
	lists   *listIndex
	metrics Metrics
	wake    func()
	// maxEndpoints bounds a tenant's webhook endpoints (negative: no bound).
	maxEndpoints int
	// retain is how long history is kept (0: forever; retention.go).
	retain time.Duration
	// lateEventsRefold: late events ignore the fold index (Options.LateEventsRefold).
	lateEventsRefold bool
	// keys caches the tenant of each API key hash seen (keys never change owner).
	keys  sync.Map
	now   func() time.Time
	newID func() string
	log   *slog.Logger
}

// Options configures a Service. Zero values pick the real clock, time-ordered random ids (ids.go), slog's default and
// the risk model that ships with the server.
type Options struct {
	// RetainHistory is how long history is kept before PruneHistory folds it away and events
	// dated before it are refused (0: forever).
	RetainHistory time.Duration
	Now           func() time.Time
	NewID         func() string
	Logger        *slog.Logger
	// RiskModel is the model for tenants that have not loaded their own.
	RiskModel *risk.Model
	// Metrics receives counts (rule failures, recomputed and refolded events); nil counts
	// nothing.
	Metrics Metrics
	// Wake, when set, is called after a write that may have queued webhook deliveries (it must
	// not block); the dispatcher polls anyway.
	Wake func()
	// UserCacheBytes bounds the users kept decoded in memory for their next event, in bytes of
	// their stored JSON (0: DefaultUserCacheBytes; negative: none).
	UserCacheBytes int64
	// MaxWebhookEndpoints bounds a tenant's webhook endpoints (0: DefaultMaxWebhookEndpoints;
	// negative: no bound).
	MaxWebhookEndpoints int
	// RuleBudget bounds every rule's evaluation and all rules of one write (zero fields: the
	// defaults of package rules).
	RuleBudget rules.Budget
	// RuleLimits bound how many rules a tenant may have and how long an expression may be.
	RuleLimits rules.Limits
	// LateEventsRefold has every late event read and refold its user's whole history instead
	// of using the user's fold index (foldindex.go): the reference the index is compared with
	// in tests and benchmarks. The index is stored either way.
	LateEventsRefold bool
}

// Metrics receives what the service counts.
type Metrics interface {
	// RuleFailed counts a rule that failed to evaluate (it counted as not hit), by reason
	// (rules.ReasonTime, ReasonMemory or ReasonError): a bounded label. Which tenant's rule
	// failed is in the log and on GET /rules/{ruleInstanceId}.
	RuleFailed(reason string)
	// EventRecomputed counts a write (an event, a create or update, a batch record) whose
	// outcome, computed before its transaction, went stale (another write of its user or a
	// change of the tenant's configuration committed first) and was computed again.
	EventRecomputed()
	// HistoryRefolded records a late event's refold of its user's history, which held entries
	// entries: the one cost of an event that grows with the history's length.
	HistoryRefolded(entries int)
}

type noMetrics struct{}

func (noMetrics) RuleFailed(string)   {}
func (noMetrics) EventRecomputed()    {}
func (noMetrics) HistoryRefolded(int) {}

// NewService builds the service on a store, compiling the wire schemas once.
func NewService(store Store, opts Options) (*Service, error) {
	v, err := schema.NewValidator(schemaNames()...)
	if err != nil {
		return nil, err
	}
	s := &Service{store: store, validator: v, foreignFields: map[Kind]map[string]bool{},
		models:     models{fallback: opts.RiskModel, byTenant: map[string]cachedModel{}},
		ruleSets:   ruleSets{byTenant: map[string]cachedRuleSet{}},
		ruleBudget: opts.RuleBudget, ruleLimits: opts.RuleLimits.WithDefaults(),
		contexts: ruleContexts{byTenant: map[string]ruleContext{}},
		users:    newUserCache(cmp.Or(opts.UserCacheBytes, DefaultUserCacheBytes)),
		lists:    newListIndex(),
		metrics:  opts.Metrics,
		wake:     opts.Wake, maxEndpoints: cmp.Or(opts.MaxWebhookEndpoints, DefaultMaxWebhookEndpoints),
		retain: opts.RetainHistory, lateEventsRefold: opts.LateEventsRefold,
		now: opts.Now, newID: opts.NewID, log: opts.Logger}
	if s.metrics == nil {
		s.metrics = noMetrics{}
	}
	if s.models.fallback == nil {
		s.models.fallback = risk.Default()
	}
	for kind, n := range names {
		own := v.Properties(n.profileSchema)
		s.foreignFields[kind] = map[string]bool{}
		for other, on := range names {
			if other == kind {
				continue
			}
			for f := range v.Properties(on.profileSchema) {
				if !own[f] {
					s.foreignFields[kind][f] = true
				}
			}
		}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = TimeOrderedUUID
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// RandomUUID returns a random (version 4) UUID.
func RandomUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// maxAttempts bounds how often a unit is retried after losing a uniqueness race to a writer in
// another process.
const maxAttempts = 3

// write runs one unit of work through the store, retrying when a concurrent writer took a
// unique key first (the retry then sees that writer's row).
func (s *Service) write(ctx context.Context, fn func(Tx) error) error {
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		err = s.store.Update(ctx, fn)
		if !retryable(err) {
			return err
		}
	}
	return fmt.Errorf("gave up after %d uniqueness conflicts: %w", maxAttempts, err)
}

func (s *Service) nowMillis() int64 { return s.now().UnixMilli() }

// retryable reports whether a unit lost a race to a concurrent writer and should run again.
func retryable(err error) bool { return errors.Is(err, ErrDuplicate) || errors.Is(err, ErrRetry) }
