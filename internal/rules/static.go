package rules

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// MaxRangeSize bounds a range whose ends are constants (1..N): a larger one could never run
// within the memory budget, so it is refused when the rule is checked.
const MaxRangeSize = 100_000

// envFunctions are the functions of the environment (env.go).
var envFunctions = setOf("changes", "kycFailures", "daysSinceStateChange", "onList", "ageYears", "daysSince")

// staticProblems reports, with their positions, what makes a parsed expression unusable before
// it is compiled: names reserved for Vigil, functions outside the allowed set, and constant
// ranges larger than MaxRangeSize.
func staticProblems(expression string, root ast.Node) []string {
	c := &staticChecker{callChecker: callChecker{src: expression}}
	ast.Walk(&root, c)
	return c.problems
}

type staticChecker struct {
	callChecker
}

func (c *staticChecker) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if strings.HasPrefix(n.Value, "__") || n.Value == "$env" {
			c.add(n, fmt.Sprintf("%s: names starting with __, and $env, are reserved", n.Value))
		}
	case *ast.BuiltinNode:
		c.function(n, n.Name)
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			c.function(n, id.Value)
		}
	case *ast.BinaryNode:
		if n.Operator != ".." {
			return
		}
		from, ok1 := constInt(n.Left)
		to, ok2 := constInt(n.Right)
		if ok1 && ok2 && to-from+1 > MaxRangeSize {
			c.add(n, fmt.Sprintf("the range %d..%d has %d elements, more than the %d a rule may build", from, to, to-from+1, MaxRangeSize))
		}
	}
}

func (c *staticChecker) function(n ast.Node, name string) {
	if allowedBuiltins[name] || meteredFunctions[name] != nil || envFunctions[name] || strings.HasPrefix(name, "__") {
		return
	}
	c.add(n, fmt.Sprintf("%s is not a function rules may call (see docs/rules.md for the allowed set)", name))
}

func constInt(n ast.Node) (int, bool) {
	switch v := n.(type) {
	case *ast.IntegerNode:
		return v.Value, true
	case *ast.UnaryNode:
		if i, ok := constInt(v.Node); ok {
			switch v.Operator {
			case "-":
				return -i, true
			case "+":
				return i, true
			}
		}
	}
	return 0, false
}
