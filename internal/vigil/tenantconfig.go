package vigil

import (
	"context"
	"errors"
	"sync"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/rules"
)

// ruleContext is the tenant's risk model, compiled rules and webhook endpoints for one write,
// read before the write's transaction so the store's writer never waits on them.
type ruleContext struct {
	model     *risk.Model
	set       *rules.Set
	endpoints []WebhookEndpoint
	// identities are set's rules' identities, for storing responses compact.
	identities map[rules.Version]rules.Identity
	// version is the tenant's configuration version it was read at (see Store.ConfigVersion).
	version int64
}

// ruleContexts keeps each tenant's latest ruleContext.
type ruleContexts struct {
	mu       sync.Mutex
	byTenant map[string]ruleContext
}

// ruleContext returns the tenant's rule context as last read, reading it only the first time.
// It may be out of date: each write confirms it in its transaction (confirmRuleContext), which
// costs a small read on the store's writer instead of one per request on the read pool.
func (s *Service) ruleContext(ctx context.Context, tenantID string) (ruleContext, error) {
	s.contexts.mu.Lock()
	rs, ok := s.contexts.byTenant[tenantID]
	s.contexts.mu.Unlock()
	if ok {
		return rs, nil
	}
	return s.freshRuleContext(ctx, tenantID)
}

// confirmRuleContext runs in a write's transaction: it returns rs when the tenant's configuration
// has not changed since rs was read (by this or any other process), and the current context
// otherwise. A write is thus evaluated with the configuration in force when it commits.
func (s *Service) confirmRuleContext(ctx context.Context, tx Tx, tenantID string, rs ruleContext) (ruleContext, error) {
	version, err := tx.ConfigVersion(ctx, tenantID)
	if errors.Is(err, ErrNotFound) || (err == nil && version == rs.version) {
		return rs, nil
	}
	if err != nil {
		return rs, err
	}
	return s.freshRuleContext(ctx, tenantID)
}

// freshRuleContext reads the tenant's rule context and keeps it for the next writes.
func (s *Service) freshRuleContext(ctx context.Context, tenantID string) (ruleContext, error) {
	version, err := s.store.ConfigVersion(ctx, tenantID)
	if errors.Is(err, ErrNotFound) {
		return s.readRuleContext(ctx, tenantID) // no tenant row: nothing to keep it by
	}
	if err != nil {
		return ruleContext{}, err
	}
	// Read after the version: what is read is at least that version, never older.
	rs, err := s.readRuleContext(ctx, tenantID)
	if err != nil {
		return ruleContext{}, err
	}
	rs.version = version
	s.contexts.mu.Lock()
	if c, ok := s.contexts.byTenant[tenantID]; !ok || c.version <= version {
		s.contexts.byTenant[tenantID] = rs
	}
	s.contexts.mu.Unlock()
	return rs, nil
}

// readRuleContext reads the tenant's risk model, rules and webhook endpoints.
func (s *Service) readRuleContext(ctx context.Context, tenantID string) (ruleContext, error) {
	model, err := s.modelFor(ctx, tenantID)
	if err != nil {
		return ruleContext{}, err
	}
	set, err := s.rulesFor(ctx, tenantID, model)
	if err != nil {
		return ruleContext{}, err
	}
	endpoints, err := s.store.WebhookEndpoints(ctx, tenantID)
	identities := set.Identities()
	s.identities.remember(tenantID, identities)
	return ruleContext{model: model, set: set, endpoints: endpoints, identities: identities}, err
}

// afterWrite wakes the webhook dispatcher when the write may have queued deliveries.
func (s *Service) afterWrite(rs ruleContext) {
	if len(rs.endpoints) > 0 && s.wake != nil {
		s.wake()
	}
}
