package main

import (
	"flag"
	"os"
	"strconv"

	"github.com/vigil-aml/vigil/internal/rules"
)

// ruleFlags adds the flags of the rules' budgets and limits to `vigil serve`; the limits'
// defaults come from VIGIL_MAX_RULES and VIGIL_MAX_EXPRESSION_BYTES, which `vigil rules apply`
// reads too, so both enforce the same limits.
func ruleFlags(fs *flag.FlagSet) func() (rules.Budget, rules.Limits) {
	ruleTime := fs.Duration("rule-time-budget", rules.DefaultRuleTime, "CPU time one rule's evaluation may take; a rule over it fails and counts as not hit")
	ruleMemoryMB := fs.Int64("rule-memory-mb", rules.DefaultRuleMemory>>20, "MiB one rule's evaluation may allocate; a rule over it fails and counts as not hit")
	writeTime := fs.Duration("write-rule-budget", rules.DefaultWriteTime, "CPU time all rules of one write may take; rules left when it is spent fail")
	limits := ruleLimitsFromEnv()
	maxRules := fs.Int("max-rules", limits.MaxRules, "most rules one tenant may have (env VIGIL_MAX_RULES)")
	maxExpression := fs.Int("max-expression-bytes", limits.MaxExpressionBytes, "longest rule expression in bytes (env VIGIL_MAX_EXPRESSION_BYTES)")
	return func() (rules.Budget, rules.Limits) {
		return rules.Budget{RuleTime: *ruleTime, RuleMemory: *ruleMemoryMB << 20, WriteTime: *writeTime},
			rules.Limits{MaxRules: *maxRules, MaxExpressionBytes: *maxExpression}
	}
}

// ruleLimitsFromEnv reads VIGIL_MAX_RULES and VIGIL_MAX_EXPRESSION_BYTES (unset or not a
// positive number: the default).
func ruleLimitsFromEnv() rules.Limits {
	n := func(name string) int {
		v, _ := strconv.Atoi(os.Getenv(name))
		return v
	}
	return rules.Limits{MaxRules: n("VIGIL_MAX_RULES"), MaxExpressionBytes: n("VIGIL_MAX_EXPRESSION_BYTES")}.WithDefaults()
}
