package vigil

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// RuleList is the versions and actions of the rules one evaluation executed, in order, as JSON:
// the same for most of a tenant's writes, so a compact stored response names it by Key instead
// of repeating it (stored_response.go). Key is made from Document, so a key never names two
// lists and a list is never changed once stored.
type RuleList struct {
	TenantID string
	Key      string
	Document []byte
}

// ruleList is a list with its key, before it has a tenant.
type ruleList struct {
	key string
	doc []byte
}

// newRuleList names a list's document by its content: the first 16 bytes of its SHA-256, in hex.
func newRuleList(doc []byte) ruleList {
	sum := sha256.Sum256(doc)
	return ruleList{key: hex.EncodeToString(sum[:16]), doc: doc}
}

// listKey names a tenant's list in the cache.
type listKey struct{ tenantID, key string }

// ruleLists caches lists by tenant and key, and remembers which are known to be stored. A key
// names one content, so an entry never goes stale.
type ruleLists struct {
	docs   sync.Map // listKey -> []byte
	stored sync.Map // listKey -> struct{}
	parsed sync.Map // listKey -> []compactRule, never changed: copied before use
}

// toStore returns the list a write must store with its response: none when it is known to be
// stored already, which after a tenant's first writes is almost always. It caches the list's
// document first: on SQLite a unit can read a response written earlier in its group, whose
// transaction (and the list in it) the store's readers do not see yet.
func (c *ruleLists) toStore(tenantID string, l ruleList) *RuleList {
	if l.key == "" {
		return nil
	}
	k := listKey{tenantID, l.key}
	c.docs.LoadOrStore(k, l.doc)
	if _, ok := c.stored.Load(k); ok {
		return nil
	}
	return &RuleList{TenantID: tenantID, Key: l.key, Document: l.doc}
}

// markStored records that a list is durably stored: a write that stored it has committed, or it
// was read from the store.
func (c *ruleLists) markStored(l *RuleList) {
	if l != nil {
		c.stored.Store(listKey{l.TenantID, l.Key}, struct{}{})
	}
}

// ruleListDoc returns a tenant's list by its key, reading it from the store the first time.
func (s *Service) ruleListDoc(ctx context.Context, tenantID, key string) ([]byte, error) {
	k := listKey{tenantID, key}
	if doc, ok := s.ruleLists.docs.Load(k); ok {
		return doc.([]byte), nil
	}
	doc, err := s.store.RuleList(ctx, tenantID, key)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("stored response names rule list %s, which is not stored", key)
	}
	if err != nil {
		return nil, err
	}
	s.ruleLists.docs.Store(k, doc)
	s.ruleLists.markStored(&RuleList{TenantID: tenantID, Key: key})
	return doc, nil
}

// listedRules returns the executed rules of a compact response that names its list by key: the
// list's rules, with what this evaluation found (found, by their index) on theirs. A list is
// parsed once: a user's timeline expands one response per entry.
func (s *Service) listedRules(ctx context.Context, tenantID, key string, found []compactRule) ([]compactRule, error) {
	var list []compactRule
	if parsed, ok := s.ruleLists.parsed.Load(listKey{tenantID, key}); ok {
		list = parsed.([]compactRule)
	} else {
		doc, err := s.ruleListDoc(ctx, tenantID, key)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(doc, &list); err != nil {
			return nil, fmt.Errorf("stored rule list %s: %w", key, err)
		}
		s.ruleLists.parsed.Store(listKey{tenantID, key}, list)
	}
	executed := slices.Clone(list)
	for _, f := range found {
		if f.Index < 0 || f.Index >= len(executed) {
			return nil, fmt.Errorf("stored response: rule %d of a list of %d", f.Index, len(executed))
		}
		executed[f.Index].Hit, executed[f.Index].Vars = f.Hit, f.Vars
	}
	return executed, nil
}
