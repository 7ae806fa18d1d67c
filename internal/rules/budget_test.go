package rules

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// bombs are rules that would run for hours or allocate terabytes without a budget: each must
// fail by its budget, quickly and without growing the heap.
var bombs = []struct {
	name, expression string
	params           map[string]any
	// reason is the budget that stops the rule ("" when either may: growth by doubling runs
	// out of time or of memory first depending on the machine).
	reason string
}{
	{"string doubling with reduce", `len(reduce(1..40, #acc + #acc, "xxxxxxxx")) > 0`, nil, ""},
	{"nested repeat", `len(repeat(repeat("x", 100000), 100000)) > 0`, nil, ReasonMemory},
	{"repeat of a parameter count", `len(repeat("xxxxxxxx", params.n)) > 0`, map[string]any{"n": 1e12}, ReasonMemory},
	{"array doubling with concat", `len(reduce(1..40, concat(#acc, #acc), [1])) > 0`, nil, ""},
	{"string growth with replace", `len(reduce(1..40, replace(#acc, "x", "xx"), "xxxx")) > 0`, nil, ""},
	{"string growth with join", `len(reduce(1..40, join([#acc, #acc]), "xxxx")) > 0`, nil, ""},
	{"nested ranges", `any(1..2000, any(1..2000, any(1..2000, false)))`, nil, ReasonTime},
	{"nested ranges of a variable", `let r = 1..2000; any(r, any(r, any(r, false)))`, nil, ReasonTime},
	{"range of a parameter size", `len(1..params.n) > 0`, map[string]any{"n": 1e8}, ReasonMemory},
	{"ranges built in a loop", `let r = 1..1000; any(r, len(1..100000) < 0)`, nil, ""},
	{"quadratic membership", `let r = 1..100000; any(r, -1 in r)`, nil, ReasonTime},
	{"eight nested macros", `let l = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
		any(l, all(l, any(l, len(map(l, len(filter(l, any(l, all(l, any(l, false)))) ) > 0)) < 0)))`, nil, ReasonTime},
}

func TestBombsFailWithinTheirBudget(t *testing.T) {
	for _, b := range bombs {
		t.Run(b.name, func(t *testing.T) {
			r := rule("BOMB", b.expression)
			r.Parameters = b.params
			s := mustCompile(t, r, rule("AFTER", `user.a == 1`))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			out := s.Evaluate(Input{Now: testNow, User: map[string]any{"a": 1.0}})
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if len(out.Failures) != 1 || out.Failures[0].RuleInstanceID != "BOMB" || reasonOf(out.Failures[0].Err) == ReasonError ||
				b.reason != "" && out.Failures[0].Reason != b.reason {
				t.Fatalf("failures %+v, want BOMB by %s", out.Failures, b.reason)
			}
			if got := hitIDs(out); len(got) != 1 || got[0] != "AFTER" {
				t.Errorf("hits %v, want the rule after the bomb only", got)
			}
			t.Logf("%v: %v", elapsed, out.Failures[0].Err)
			// Generous bounds for a noisy machine (and -race): the budget is 5 ms of CPU.
			if elapsed > 2*time.Second {
				t.Errorf("took %v", elapsed)
			}
			if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 256<<20 {
				t.Errorf("allocated %d MiB", allocated>>20)
			}
		})
	}
}

func TestBudgets(t *testing.T) {
	loop := rule("LOOP", `let r = 1..2000; any(r, any(r, false))`) // 4 million iterations
	t.Run("a larger time budget lets a longer rule finish", func(t *testing.T) {
		s := mustCompile(t, loop)
		out := s.Evaluate(Input{Now: testNow, Budget: Budget{RuleTime: 20 * time.Second, WriteTime: 20 * time.Second}})
		if len(out.Failures) != 0 {
			t.Errorf("failures %+v", out.Failures)
		}
	})
	t.Run("the write's budget stops the rules after it is spent", func(t *testing.T) {
		var rs []Rule
		for _, id := range []string{"L1", "L2", "L3", "L4", "L5"} {
			r := loop
			r.InstanceID = id
			rs = append(rs, r)
		}
		s := mustCompile(t, rs...)
		out := s.Evaluate(Input{Now: testNow, Budget: Budget{RuleTime: 5 * time.Millisecond, WriteTime: 12 * time.Millisecond}})
		if len(out.Failures) != 5 {
			t.Fatalf("failures %+v", out.Failures)
		}
		var write int
		for _, f := range out.Failures {
			if f.Reason != ReasonTime {
				t.Errorf("reason %q", f.Reason)
			}
			if strings.Contains(f.Err.Error(), "write's rules") {
				write++
			}
		}
		if write < 2 {
			t.Errorf("%d rules stopped by the write's budget, want at least 2: %+v", write, out.Failures)
		}
	})
	t.Run("a memory budget counts the bytes a rule builds", func(t *testing.T) {
		s := mustCompile(t, rule("STR", `len(repeat("x", 2000)) > 0`))
		if out := s.Evaluate(Input{Now: testNow, Budget: Budget{RuleMemory: 1000}}); len(out.Failures) != 1 || out.Failures[0].Reason != ReasonMemory {
			t.Errorf("failures %+v", out.Failures)
		}
		if out := s.Evaluate(Input{Now: testNow, Budget: Budget{RuleMemory: 4000}}); len(out.Failures) != 0 || len(out.Hits) != 1 {
			t.Errorf("failures %+v hits %v", out.Failures, hitIDs(out))
		}
	})
}

// TestMeteredFunctions: the metered versions of expr's builtins compute what the builtins do.
func TestMeteredFunctions(t *testing.T) {
	for _, e := range []string{
		`"ab" + "cd" == "abcd"`,
		`1 + 2 == 3 && 1.5 + 1 == 2.5 && user.n + 1 == 3`,
		`user.s + "!" == "hi!"`,
		`repeat("ab", 3) == "ababab" && repeat("x", user.n) == "xx"`,
		`join(["a", "b"], "-") == "a-b" && join(split("a,b", ",")) == "ab"`,
		`replace("aXbX", "X", "-") == "a-b-"`,
		`upper("ab") == "AB" && lower("AB") == "ab"`,
		`split("a,b,c", ",") == ["a", "b", "c"] && split("a,b,c", ",", 2) == ["a", "b,c"] && splitAfter("a,b", ",") == ["a,", "b"]`,
		`string(2) == "2" && string(user.n) == "2" && string(true) == "true" && string("x") == "x"`,
		`len(concat([1], [2, 3], user.l)) == 4`,
		`reduce(1..3, #acc + #, 0) == 6 && sum(map(1..3, # * 2)) == 12`,
		`2 in 1..3 && 2 in user.l2 && "x" in user.l && !("y" in user.l) && user.s in ["hi"] && 3 in 1..user.n+1 && "s" in user`,
	} {
		s := mustCompile(t, rule("M", e))
		out := s.Evaluate(Input{Now: testNow, User: map[string]any{"n": 2.0, "s": "hi", "l": []any{"x"}, "l2": []any{1.0, 2.0}}})
		if len(out.Failures) != 0 || len(out.Hits) != 1 {
			t.Errorf("%s: failures %+v, hits %v", e, out.Failures, hitIDs(out))
		}
	}
}
