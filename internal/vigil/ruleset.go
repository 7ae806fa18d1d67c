package vigil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/vigil-aml/vigil/internal/risk"
	"github.com/vigil-aml/vigil/internal/rules"
)

// ruleSets caches each tenant's compiled rules by rule set version and risk model (onList()
// reads the model's country lists), so a write compiles rules only after they changed.
type ruleSets struct {
	mu       sync.Mutex
	byTenant map[string]cachedRuleSet
}

type cachedRuleSet struct {
	version string
	model   *risk.Model
	set     *rules.Set
}

// emptyVersion marks a tenant that never had rules.
const emptyVersion = ""

// rulesFor returns the tenant's compiled rules.
func (s *Service) rulesFor(ctx context.Context, tenantID string, model *risk.Model) (*rules.Set, error) {
	version, err := s.store.RuleSetVersion(ctx, tenantID)
	if errors.Is(err, ErrNotFound) {
		version = emptyVersion
	} else if err != nil {
		return nil, err
	}
	s.ruleSets.mu.Lock()
	c, ok := s.ruleSets.byTenant[tenantID]
	s.ruleSets.mu.Unlock()
	if ok && c.version == version && c.model == model {
		return c.set, nil
	}
	var defs []rules.Rule
	if version != emptyVersion {
		recs, err := s.store.Rules(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			var r rules.Rule
			if err := json.Unmarshal(rec.Document, &r); err != nil {
				return nil, fmt.Errorf("stored rule %s: %w", rec.RuleInstanceID, err)
			}
			defs = append(defs, r)
		}
	}
	sort.SliceStable(defs, func(i, j int) bool { return naturalLess(defs[i].InstanceID, defs[j].InstanceID) })
	// A stored rule that no longer compiles fails alone, at every write, instead of the tenant's
	// every write failing.
	set := rules.CompileStored(defs, countryLists(model))
	s.ruleSets.mu.Lock()
	s.ruleSets.byTenant[tenantID] = cachedRuleSet{version: version, model: model, set: set}
	s.ruleSets.mu.Unlock()
	return set, nil
}

// naturalLess orders ids with numbers by value: R-U2.1 before R-U10.1.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := leadingDigits(a), leadingDigits(b)
		if da != "" && db != "" {
			if len(da) != len(db) {
				return len(da) < len(db)
			}
			if da != db {
				return da < db
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

func countryLists(m *risk.Model) map[string][]string {
	out := make(map[string][]string, len(m.CountryLists))
	for name, l := range m.CountryLists {
		out[name] = l.Countries
	}
	return out
}

// seedRules gives a new tenant the default library.
func (s *Service) seedRules(ctx context.Context, tx Tx, tenantID string) error {
	for _, r := range rules.Library() {
		if _, err := s.putRule(ctx, tx, tenantID, r, AuditRuleSeed); err != nil {
			return err
		}
	}
	return nil
}

// putRule stores a checked rule under a new version, with its audit record (action), and
// returns it as stored.
func (s *Service) putRule(ctx context.Context, tx Tx, tenantID string, r rules.Rule, action string) (rules.Rule, error) {
	r.VersionID = s.newID()
	r.Failures = nil // counted by the server, never stored
	doc, err := json.Marshal(r)
	if err != nil {
		return r, err
	}
	if err := tx.PutRule(ctx, RuleRecord{TenantID: tenantID, RuleInstanceID: r.InstanceID, VersionID: r.VersionID,
		Document: doc, UpdatedAt: s.nowMillis()}); err != nil {
		return r, err
	}
	return r, s.Audit(ctx, tx, tenantID, action, ruleTarget(r.InstanceID, r.VersionID), digestOf(doc))
}

// ruleTarget names a rule's version in the audit log.
func ruleTarget(instanceID, versionID string) string { return "rule/" + instanceID + "/" + versionID }

// ListRules handles GET /rules: the tenant's rules (enabled or not).
func (s *Service) ListRules(ctx context.Context, tenant Tenant) ([]byte, error) {
	recs, err := s.store.Rules(ctx, tenant.ID)
	if err != nil {
		return nil, err
	}
	list := make([]json.RawMessage, len(recs))
	for i, rec := range recs {
		list[i] = s.ruleFailures.withFailures(tenant.ID, rec)
	}
	return mustEncode(map[string]any{"rules": list}), nil
}

// GetRule handles GET /rules/{ruleInstanceId}.
func (s *Service) GetRule(ctx context.Context, tenant Tenant, instanceID string) ([]byte, error) {
	recs, err := s.store.Rules(ctx, tenant.ID)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if rec.RuleInstanceID == instanceID {
			return s.ruleFailures.withFailures(tenant.ID, rec), nil
		}
	}
	return nil, notFoundf("No rule with ruleInstanceId %q", instanceID)
}

// RuleVersions handles GET /rules/{ruleInstanceId}/versions: every version, oldest first.
func (s *Service) RuleVersions(ctx context.Context, tenant Tenant, instanceID string) ([]byte, error) {
	recs, err := s.store.RuleVersions(ctx, tenant.ID, instanceID)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, notFoundf("No rule with ruleInstanceId %q", instanceID)
	}
	type version struct {
		VersionID string          `json:"versionId"`
		CreatedAt int64           `json:"createdAt"`
		Deleted   bool            `json:"deleted,omitempty"`
		Rule      json.RawMessage `json:"rule,omitempty"`
	}
	out := make([]version, len(recs))
	for i, rec := range recs {
		out[i] = version{VersionID: rec.VersionID, CreatedAt: rec.UpdatedAt, Deleted: rec.Document == nil, Rule: rec.Document}
	}
	return mustEncode(map[string]any{"versions": out}), nil
}

// PutRule handles PUT /rules/{ruleInstanceId}: it checks the rule (JSON or YAML; its
// ruleInstanceId must match the path or be absent) against the tenant's limits and risk model,
// compiles it, and stores it as a new version.
func (s *Service) PutRule(ctx context.Context, tenant Tenant, instanceID string, document []byte) ([]byte, error) {
	r, err := rules.ParseRule(document)
	if err != nil {
		return nil, inputError(err)
	}
	if r.InstanceID == "" {
		r.InstanceID = instanceID
	}
	if r.InstanceID != instanceID {
		return nil, invalidf("ruleInstanceId", "%q does not match the path's %q", r.InstanceID, instanceID)
	}
	if p := s.ruleLimits.CheckSize("", r); p != nil {
		return nil, invalidLines(p)
	}
	if err := s.checkRuleCount(ctx, tenant.ID, []rules.Rule{r}); err != nil {
		return nil, err
	}
	model, err := s.modelFor(ctx, tenant.ID)
	if err != nil {
		return nil, err
	}
	if err := inputError(rules.Check(r, countryLists(model))); err != nil {
		return nil, err
	}
	var stored rules.Rule
	err = s.write(ctx, func(tx Tx) error {
		var err error
		stored, err = s.putRule(ctx, tx, tenant.ID, r, AuditRulePut)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.ruleFailures.forget(tenant.ID, instanceID)
	return mustEncode(stored), nil
}

// DeleteRule handles DELETE /rules/{ruleInstanceId}.
func (s *Service) DeleteRule(ctx context.Context, tenant Tenant, instanceID string) error {
	err := s.write(ctx, func(tx Tx) error {
		versionID := s.newID()
		if err := tx.DeleteRule(ctx, tenant.ID, instanceID, versionID, s.nowMillis()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, tenant.ID, AuditRuleDelete, ruleTarget(instanceID, versionID), nil)
	})
	if errors.Is(err, ErrNotFound) {
		return notFoundf("No rule with ruleInstanceId %q", instanceID)
	}
	if err == nil {
		s.ruleFailures.forget(tenant.ID, instanceID)
	}
	return err
}

// ApplyRulesByName creates or replaces every rule of a document (a list, or {"rules": [...]}) for
// a tenant named on the command line, all or nothing. It returns how many rules were applied.
func (s *Service) ApplyRulesByName(ctx context.Context, tenantName string, document []byte) (int, error) {
	defs, err := rules.ParseRules(document)
	if err != nil {
		return 0, inputError(err)
	}
	var sizes []string
	for i, r := range defs {
		sizes = append(sizes, s.ruleLimits.CheckSize(fmt.Sprintf("rules[%d] (%s): ", i, r.InstanceID), r)...)
	}
	if sizes != nil {
		return 0, invalidLines(sizes)
	}
	var t Tenant
	err = s.write(ctx, func(tx Tx) error {
		var err error
		t, err = tx.TenantByName(ctx, tenantName)
		if errors.Is(err, ErrNotFound) {
			return notFoundf("No tenant named %q (create it with: vigil keys create --tenant %s)", tenantName, tenantName)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := s.checkRuleCount(ctx, t.ID, defs); err != nil {
		return 0, err
	}
	model, err := s.modelFor(ctx, t.ID)
	if err != nil {
		return 0, err
	}
	if err := inputError(rules.CheckAll(defs, countryLists(model))); err != nil {
		return 0, err
	}
	err = s.write(ctx, func(tx Tx) error {
		for _, r := range defs {
			if _, err := s.putRule(ctx, tx, t.ID, r, AuditRuleApply); err != nil {
				return err
			}
		}
		return nil
	})
	return len(defs), err
}

// checkRuleCount refuses rules that would take the tenant over its rule limit. It counts
// outside the write: two concurrent writes may each add the last rule allowed, one over.
func (s *Service) checkRuleCount(ctx context.Context, tenantID string, adding []rules.Rule) error {
	recs, err := s.store.Rules(ctx, tenantID)
	if err != nil {
		return err
	}
	ids := make(map[string]bool, len(recs)+len(adding))
	for _, rec := range recs {
		ids[rec.RuleInstanceID] = true
	}
	for _, r := range adding {
		ids[r.InstanceID] = true
	}
	if p := s.ruleLimits.CheckCount(len(ids)); p != nil {
		return invalidLines(p)
	}
	return nil
}

// UserRules handles GET /{consumer|business}/users/{userId}/rules: the latest rule results of
// the user, shadow rules included (they are left out of every other response).
func (s *Service) UserRules(ctx context.Context, tenant Tenant, kind Kind, userID string) ([]byte, error) {
	rec, evaluation, err := s.userWithEvaluation(ctx, tenant, kind, userID)
	if err != nil {
		return nil, err
	}
	ev, err := decodeEvaluation(evaluation)
	if err != nil {
		return nil, err
	}
	var state ruleState
	if len(rec.Rules) > 0 {
		if err := json.Unmarshal(rec.Rules, &state); err != nil {
			return nil, err
		}
	}
	if state.Shadow == nil {
		state.Shadow = []rules.Result{}
	}
	return mustEncode(map[string]any{"userId": rec.UserID, "executedRules": ev.ExecutedRules, "hitRules": ev.HitRules,
		"shadowRules": state.Shadow, "status": ev.Status, "aggregates": state.Aggregates}), nil
}
