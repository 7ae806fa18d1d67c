package vigil_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestRuleLimitsAndRefusals: PUT /rules/{id} and rules apply refuse, as a 400 naming the
// problem, rules over the tenant's limits and rules that can never evaluate; nothing is stored.
func TestRuleLimitsAndRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixtureWith(t, b.Open(t), vigil.Options{RuleLimits: rules.Limits{MaxRules: 17, MaxExpressionBytes: 64}})
		ctx := context.Background()
		doc := func(id, expression string) string {
			return fmt.Sprintf(`{"ruleId":"RC","ruleInstanceId":%q,"ruleName":"n","ruleDescription":"d","ruleAction":"FLAG","expression":%q}`, id, expression)
		}
		for _, c := range []struct {
			name, id, expression, want string
		}{
			{"an expression over the size limit", "RC-1.1", "user.a == '" + strings.Repeat("x", 60) + "'", "expression: is 72 bytes long, more than the 64 allowed"},
			{"a string result", "RC-1.1", "user.userId", "expression: line 1, column 6: the rule evaluates to a null or string, not a boolean"},
			{"an unknown country list", "RC-1.1", `onList(user.c, "fatfX")`, `expression: line 1, column 16: onList: "fatfX" is not a country list`},
			{"a rule over the count limit", "RC-3.1", "true", "rules: the tenant would have 18 rules, more than the 17 allowed"},
		} {
			if c.id == "RC-3.1" {
				f.putRule(t, "RC-2.1", doc("RC-2.1", "true")) // the library's 15 and this: 16, then 17
				f.putRule(t, "RC-4.1", doc("RC-4.1", "true"))
			}
			_, err := f.svc.PutRule(ctx, f.tenant, c.id, []byte(doc(c.id, c.expression)))
			if ve, ok := err.(*vigil.Error); !ok || ve.Code != vigil.CodeInvalid || !strings.Contains(ve.Message, c.want) {
				t.Errorf("%s: PUT: %v, want %q", c.name, err, c.want)
			}
			if _, err := f.svc.GetRule(ctx, f.tenant, c.id); codeOf(err) != vigil.CodeNotFound {
				t.Errorf("%s: the refused rule was stored (%v)", c.name, err)
			}
			_, err = f.svc.ApplyRulesByName(ctx, "acme", []byte("["+doc(c.id, c.expression)+"]"))
			if ve, ok := err.(*vigil.Error); !ok || ve.Code != vigil.CodeInvalid || !strings.Contains(ve.Message, c.want) {
				t.Errorf("%s: apply: %v, want %q", c.name, err, c.want)
			}
		}
		// Replacing a rule does not count as one more.
		f.putRule(t, "RC-4.1", doc("RC-4.1", "false"))
		if _, err := f.svc.ApplyRulesByName(ctx, "acme", []byte("["+doc("RC-2.1", "false")+"]")); err != nil {
			t.Errorf("replacing a rule at the limit: %v", err)
		}
	})
}
