package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRulesApplyLimitsAndRefusals: `vigil rules apply` enforces the limits of
// VIGIL_MAX_RULES and VIGIL_MAX_EXPRESSION_BYTES and refuses rules that can never evaluate.
func TestRulesApplyLimitsAndRefusals(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "vigil.db")
	newTestKey(t, dsn, "acme")
	file := filepath.Join(dir, "rules.yaml")
	apply := func(expression string) error {
		os.WriteFile(file, []byte("- ruleId: RC-1\n  ruleInstanceId: RC-1.1\n  ruleName: n\n  ruleDescription: d\n  ruleAction: FLAG\n  expression: "+expression+"\n"), 0o600)
		return run(context.Background(), []string{"rules", "apply", "--tenant", "acme", "--file", file, "--db", dsn}, io.Discard, io.Discard, nil)
	}
	if err := apply("user.userId"); err == nil || !strings.Contains(err.Error(), "line 1, column 6: the rule evaluates to a null or string, not a boolean") {
		t.Errorf("a string result: %v", err)
	}
	if err := apply(`onList(user.c, "fatfX")`); err == nil || !strings.Contains(err.Error(), `onList: "fatfX" is not a country list`) {
		t.Errorf("an unknown list: %v", err)
	}
	t.Setenv("VIGIL_MAX_EXPRESSION_BYTES", "10")
	if err := apply("user.a == 12345"); err == nil || !strings.Contains(err.Error(), "is 15 bytes long, more than the 10 allowed") {
		t.Errorf("over the expression size: %v", err)
	}
	t.Setenv("VIGIL_MAX_EXPRESSION_BYTES", "")
	t.Setenv("VIGIL_MAX_RULES", "15") // the library's 15
	if err := apply("user.a == 1"); err == nil || !strings.Contains(err.Error(), "would have 16 rules, more than the 15 allowed") {
		t.Errorf("over the rule count: %v", err)
	}
	t.Setenv("VIGIL_MAX_RULES", "16")
	if err := apply("user.a == 1"); err != nil {
		t.Errorf("within the limits: %v", err)
	}
}
