package vigil_test

import (
	"context"
	"math"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

func TestRateLimits(t *testing.T) {
	f := newFixture(t, storetest.Backends(t)[0])
	ctx := context.Background()
	read := func() map[string]vigil.RateLimit {
		t.Helper()
		got, err := f.svc.RateLimits(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	steps := []struct {
		name     string
		tenant   string
		rps      float64
		burst    int
		code     vigil.Code
		want     vigil.RateLimit
		wantNone bool
	}{
		{name: "burst defaults to a second's worth", tenant: "acme", rps: 2.5, want: vigil.RateLimit{RPS: 2.5, Burst: 3}},
		{name: "a slow rate still has a burst of 1", tenant: "acme", rps: 0.2, want: vigil.RateLimit{RPS: 0.2, Burst: 1}},
		{name: "explicit burst", tenant: "acme", rps: 10, burst: 50, want: vigil.RateLimit{RPS: 10, Burst: 50}},
		{name: "an exemption", tenant: "acme", rps: 0, want: vigil.RateLimit{}},
		{name: "negative rate", tenant: "acme", rps: -1, code: vigil.CodeInvalid},
		{name: "not a number", tenant: "acme", rps: math.NaN(), code: vigil.CodeInvalid},
		{name: "infinite", tenant: "acme", rps: math.Inf(1), code: vigil.CodeInvalid},
		{name: "burst without a rate", tenant: "acme", rps: 0, burst: 5, code: vigil.CodeInvalid},
		{name: "huge burst", tenant: "acme", rps: 1, burst: vigil.MaxRateLimitBurst + 1, code: vigil.CodeInvalid},
		{name: "unknown tenant", tenant: "nobody", rps: 1, code: vigil.CodeNotFound},
	}
	for _, step := range steps {
		before := read()
		got, err := f.svc.SetRateLimit(ctx, step.tenant, step.rps, step.burst)
		if step.code != 0 {
			if codeOf(err) != step.code {
				t.Fatalf("%s: error %v, want code %d", step.name, err, step.code)
			}
			if after := read(); len(after) != len(before) || after[f.tenant.ID] != before[f.tenant.ID] {
				t.Fatalf("%s: a refused limit changed the stored ones: %v -> %v", step.name, before, after)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		stored := read()[f.tenant.ID]
		if got != stored || stored.RPS != step.want.RPS || stored.Burst != step.want.Burst || stored.UpdatedAt != fixedNow {
			t.Fatalf("%s: returned %+v, stored %+v; want %+v", step.name, got, stored, step.want)
		}
	}
	if err := f.svc.ClearRateLimit(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if got := read(); len(got) != 0 {
		t.Fatalf("after clearing: %v", got)
	}
	if err := f.svc.ClearRateLimit(ctx, "nobody"); codeOf(err) != vigil.CodeNotFound {
		t.Fatalf("clearing an unknown tenant's limit: %v", err)
	}
}
