package rules

import (
	"encoding/json"
	"fmt"
	"reflect"

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
