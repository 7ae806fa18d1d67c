package rules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// fetchName is what member access on JSON values compiles to. expr reads fields of values typed
// any (user.userDetails.countryOfResidence) through reflection, which dominated the cost of a
// rule; profiles are plain JSON trees, so a direct map lookup does the same job. It is an expr
// function (a constant of the program), not an Env field, which expr would load by reflection.
const fetchName = "__fetch"

var fetchOption = expr.Function(fetchName, func(params ...any) (any, error) {
	return fetch(params[0], params[1]), nil
}, new(func(any, string) any))

// fetch reads key from a JSON object: a missing key or a nil object is nil (as with ?.), a
// json.Number is a float64 (so expressions compare numbers), and any other base is an error, as
// expr reports it.
func fetch(base, key any) any {
	switch b := base.(type) {
	case map[string]any:
		if n, ok := b[key.(string)].(json.Number); ok {
			f, _ := n.Float64()
			return f
		}
		return b[key.(string)]
	case nil:
		return nil
	}
	panic(fmt.Sprintf("cannot fetch %v from %T", key, base))
}

// fastMembers rewrites member access with a constant name on values of unknown type (the JSON
// trees of user, previous, event and params) into calls of fetch.
type fastMembers struct{}

func (fastMembers) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok || m.Method {
		return
	}
	name, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	if t := m.Node.Type(); t != nil && t.Kind() != reflect.Interface && t.Kind() != reflect.Map {
		return // struct fields of the environment keep expr's own access
	}
	ast.Patch(node, &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: fetchName},
		Arguments: []ast.Node{m.Node, &ast.StringNode{Value: name.Value}},
	})
}

// checkCalls reports, with its position, every call of changes() whose attribute is not a
// string naming a tracked attribute: the environment's functions take any (so expr calls them
// without reflection), which leaves this check to us, and a misspelt attribute would otherwise
// count nothing, silently.
func checkCalls(expression string, root ast.Node) []string {
	c := &callChecker{src: expression}
	ast.Walk(&root, c)
	return c.problems
}

type callChecker struct {
	src      string
	problems []string
}

func (c *callChecker) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	callee, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || callee.Value != "changes" || len(call.Arguments) == 0 {
		return
	}
	attr, ok := call.Arguments[0].(*ast.StringNode)
	switch {
	case !ok:
		c.add(call.Arguments[0], "changes: the attribute must be a quoted name, one of "+trackedNames())
	case Tracked[attr.Value] == nil:
		c.add(call.Arguments[0], fmt.Sprintf("changes: %q is not a tracked attribute (one of %s)", attr.Value, trackedNames()))
	}
}

func (c *callChecker) add(n ast.Node, msg string) {
	line, col := position(c.src, n.Location().From)
	c.problems = append(c.problems, fmt.Sprintf("expression: line %d, column %d: %s", line, col, msg))
}

// position turns a byte offset into a 1-based line and column.
func position(src string, offset int) (int, int) {
	line, col := 1, 1
	for i, r := range src {
		if i >= offset {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func trackedNames() string {
	names := make([]string, 0, len(Tracked))
	for n := range Tracked {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
