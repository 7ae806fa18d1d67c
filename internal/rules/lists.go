package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// listProblems reports every onList() call whose list name is known (a quoted name, a string
// parameter, or # over a parameter list of names) and not one of lists: such a rule would
// silently never hit.
func listProblems(r Rule, src string, root ast.Node, lists map[string][]string) []string {
	c := &listChecker{callChecker: callChecker{src: src}, rule: r, lists: lists}
	ast.Walk(&root, c)
	return c.problems
}

type listChecker struct {
	callChecker
	rule  Rule
	lists map[string][]string
}

func (c *listChecker) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || id.Value != "onList" || len(n.Arguments) != 2 {
			return
		}
		switch arg := n.Arguments[1].(type) {
		case *ast.StringNode:
			c.check(arg, arg.Value)
		case *ast.MemberNode, *ast.ChainNode:
			c.checkParam(arg, false)
		}
	case *ast.BuiltinNode:
		// any(params.lists, onList(x, #)): the names are the parameter's elements.
		if len(n.Arguments) < 2 {
			return
		}
		pred, ok := n.Arguments[1].(*ast.PredicateNode)
		if !ok {
			return
		}
		ast.Walk(&pred.Node, pointerLists{c: c, collection: n.Arguments[0]})
	}
}

type pointerLists struct {
	c          *listChecker
	collection ast.Node
}

func (p pointerLists) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || len(call.Arguments) != 2 {
		return
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != "onList" {
		return
	}
	if ptr, ok := call.Arguments[1].(*ast.PointerNode); ok && ptr.Name == "" {
		p.c.checkParam(p.collection, true)
	}
}

// checkParam checks the list names of a params member chain: a string, or with elements a
// list of strings.
func (c *listChecker) checkParam(n ast.Node, elements bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	prop, ok2 := m.Property.(*ast.StringNode)
	if !ok || !ok2 || id.Value != "params" {
		return
	}
	sets := []map[string]any{c.rule.Parameters}
	for _, p := range c.rule.RiskLevelParameters {
		sets = append(sets, p)
	}
	for _, set := range sets {
		switch v := set[prop.Value].(type) {
		case string:
			if !elements {
				c.check(n, v)
			}
		case []any:
			if elements {
				for _, x := range v {
					if s, ok := x.(string); ok {
						c.check(n, s)
					}
				}
			}
		}
	}
}

func (c *listChecker) check(n ast.Node, name string) {
	if _, ok := c.lists[name]; ok {
		return
	}
	names := make([]string, 0, len(c.lists))
	for l := range c.lists {
		names = append(names, l)
	}
	sort.Strings(names)
	c.add(n, fmt.Sprintf("onList: %q is not a country list of the tenant's risk model (one of %s)", name, strings.Join(names, ", ")))
}
