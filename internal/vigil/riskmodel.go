package vigil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/vigil-aml/vigil/internal/risk"
)

// models caches parsed tenant risk models by version, so a write parses a model only after it
// changed (also when another process changed it).
type models struct {
	fallback *risk.Model
	mu       sync.Mutex
	byTenant map[string]cachedModel
}

type cachedModel struct {
	version string
	model   *risk.Model
}

// modelFor returns the tenant's own risk model, or the default one.
func (s *Service) modelFor(ctx context.Context, tenantID string) (*risk.Model, error) {
	rec, err := s.store.RiskModel(ctx, tenantID)
	if errors.Is(err, ErrNotFound) {
		return s.models.fallback, nil
	}
	if err != nil {
		return nil, err
	}
	s.models.mu.Lock()
	defer s.models.mu.Unlock()
	if c, ok := s.models.byTenant[tenantID]; ok && c.version == rec.Version {
		return c.model, nil
	}
	m, err := risk.Parse(rec.Document)
	if err != nil {
		return nil, fmt.Errorf("stored risk model of tenant %s: %w", tenantID, err)
	}
	s.models.byTenant[tenantID] = cachedModel{version: rec.Version, model: m}
	return m, nil
}

// RiskModel returns the tenant's risk model as JSON: its own, or the default.
func (s *Service) RiskModel(ctx context.Context, tenant Tenant) ([]byte, error) {
	m, err := s.modelFor(ctx, tenant.ID)
	if err != nil {
		return nil, err
	}
	return m.JSON(), nil
}

// PutRiskModel checks a model (JSON or YAML) and makes it the tenant's. Later writes score with
// it; stored scores change on each user's next write.
func (s *Service) PutRiskModel(ctx context.Context, tenant Tenant, document []byte) ([]byte, error) {
	m, err := parseModel(document)
	if err != nil {
		return nil, err
	}
	rec := RiskModelRecord{TenantID: tenant.ID, Version: s.newID(), Document: m.JSON(), UpdatedAt: s.nowMillis()}
	if err := s.write(ctx, func(tx Tx) error { return s.putRiskModel(ctx, tx, rec) }); err != nil {
		return nil, err
	}
	return rec.Document, nil
}

// PutRiskModelByName is PutRiskModel for a tenant named on the command line.
func (s *Service) PutRiskModelByName(ctx context.Context, tenantName string, document []byte) error {
	m, err := parseModel(document)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx Tx) error {
		t, err := tx.TenantByName(ctx, tenantName)
		if errors.Is(err, ErrNotFound) {
			return notFoundf("No tenant named %q (create it with: vigil keys create --tenant %s)", tenantName, tenantName)
		}
		if err != nil {
			return err
		}
		return s.putRiskModel(ctx, tx, RiskModelRecord{TenantID: t.ID, Version: s.newID(), Document: m.JSON(), UpdatedAt: s.nowMillis()})
	})
}

// putRiskModel stores a tenant's risk model as a new version, with its audit record.
func (s *Service) putRiskModel(ctx context.Context, tx Tx, m RiskModelRecord) error {
	if err := tx.PutRiskModel(ctx, m); err != nil {
		return err
	}
	return s.Audit(ctx, tx, m.TenantID, AuditRiskModelPut, "risk_model/"+m.Version, digestOf(m.Document))
}

// RiskModelVersions handles GET /risk/model/versions: every model the tenant loaded, oldest
// first (empty while it uses the default).
func (s *Service) RiskModelVersions(ctx context.Context, tenant Tenant) ([]byte, error) {
	recs, err := s.store.RiskModelVersions(ctx, tenant.ID)
	if err != nil {
		return nil, err
	}
	type version struct {
		VersionID string          `json:"versionId"`
		CreatedAt int64           `json:"createdAt"`
		Model     json.RawMessage `json:"model"`
	}
	out := make([]version, len(recs))
	for i, rec := range recs {
		out[i] = version{VersionID: rec.Version, CreatedAt: rec.UpdatedAt, Model: rec.Document}
	}
	return mustEncode(map[string]any{"versions": out}), nil
}

func parseModel(document []byte) (*risk.Model, error) {
	m, err := risk.Parse(document)
	return m, inputError(err)
}
