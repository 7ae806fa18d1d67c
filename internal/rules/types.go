package rules

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/vigil-aml/vigil/internal/schema"
)

// The result of a rule must be a boolean. expr checks that for what it can type, but profile
// fields are JSON of unknown type to it, so a rule like `user.userId` compiled and then failed
// on every write. resultProblem types the expression's result from the wire schema (for user,
// previous and event fields) and from the rule's own parameters (for params), and refuses a
// rule whose result can be seen never to be a boolean. Whatever cannot be typed is let through.

// kinds is a set of JSON kinds ("string", "number", "boolean", "array", "object", "null");
// nil means unknown.
type kinds map[string]bool

func (k kinds) String() string {
	out := make([]string, 0, len(k))
	for n := range k {
		out = append(out, n)
	}
	sort.Strings(out)
	return strings.Join(out, " or ")
}

// union merges two sets; unknown wins.
func union(a, b kinds) kinds {
	if a == nil || b == nil {
		return nil
	}
	out := kinds{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func kindsOf(names ...string) kinds { return kinds(setOf(names...)) }

// resultProblem returns the problem of an expression whose result is never a boolean, or "".
func resultProblem(r Rule, src string, root ast.Node) string {
	k := (&typer{rule: r}).kinds(root)
	if k == nil || k["boolean"] {
		return ""
	}
	line, col := position(src, root.Location().From)
	return fmt.Sprintf("expression: line %d, column %d: the rule evaluates to a %s, not a boolean (true is a hit)", line, col, k)
}

type typer struct{ rule Rule }

func (t *typer) kinds(n ast.Node) kinds {
	switch n := n.(type) {
	case *ast.BoolNode:
		return kindsOf("boolean")
	case *ast.StringNode:
		return kindsOf("string")
	case *ast.IntegerNode, *ast.FloatNode:
		return kindsOf("number")
	case *ast.NilNode:
		return kindsOf("null")
	case *ast.ArrayNode:
		return kindsOf("array")
	case *ast.MapNode:
		return kindsOf("object")
	case *ast.SequenceNode:
		return t.kinds(n.Nodes[len(n.Nodes)-1])
	case *ast.VariableDeclaratorNode:
		return t.kinds(n.Expr)
	case *ast.ConditionalNode:
		return union(t.kinds(n.Exp1), t.kinds(n.Exp2))
	case *ast.UnaryNode:
		switch n.Operator {
		case "!", "not":
			return kindsOf("boolean")
		}
		return kindsOf("number")
	case *ast.BinaryNode:
		switch n.Operator {
		case "+":
			return kindsOf("number", "string")
		case "-", "*", "/", "%", "**", "^":
			return kindsOf("number")
		case "..":
			return kindsOf("array")
		case "??":
			return union(t.kinds(n.Left), t.kinds(n.Right))
		}
		return kindsOf("boolean")
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			switch id.Value {
			case "changes", "kycFailures", "daysSinceStateChange", "ageYears", "daysSince":
				return kindsOf("number")
			case "onList":
				return kindsOf("boolean")
			}
		}
	case *ast.BuiltinNode:
		switch n.Name {
		case "all", "any", "none", "one", "hasPrefix", "hasSuffix":
			return kindsOf("boolean")
		case "len", "count", "sum", "abs", "ceil", "floor", "round", "int", "float", "indexOf", "lastIndexOf", "findIndex", "findLastIndex", "mean", "median":
			return kindsOf("number")
		case "filter", "map":
			return kindsOf("array")
		case "trim", "trimPrefix", "trimSuffix", "type":
			return kindsOf("string")
		}
	case *ast.ChainNode:
		return t.kinds(n.Node)
	case *ast.MemberNode:
		return t.member(n)
	}
	return nil
}

// member types a chain of constant member reads of user, previous, event or params.
func (t *typer) member(n *ast.MemberNode) kinds {
	var path []string
	var base ast.Node = n
	for {
		switch b := base.(type) {
		case *ast.ChainNode:
			base = b.Node
			continue
		case *ast.MemberNode:
			switch p := b.Property.(type) {
			case *ast.StringNode:
				path = append(path, p.Value)
			case *ast.IntegerNode:
				path = append(path, "[]")
			default:
				return nil
			}
			base = b.Node
			continue
		case *ast.IdentifierNode:
			for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
				path[i], path[j] = path[j], path[i]
			}
			return t.root(b.Value, path)
		}
		return nil
	}
}

func (t *typer) root(name string, path []string) kinds {
	consumer := applies(t.rule.UserTypes, "CONSUMER")
	business := applies(t.rule.UserTypes, "BUSINESS")
	var names []string
	switch name {
	case "user", "previous":
		if consumer {
			names = append(names, "User")
		}
		if business {
			names = append(names, "Business")
		}
	case "event":
		if consumer {
			names = append(names, "ConsumerUserEvent")
		}
		if business {
			names = append(names, "BusinessUserEvent")
		}
	case "params":
		return t.param(path)
	default:
		return nil
	}
	// A field of one kind of user only reads as nil on the other.
	var out kinds
	for _, s := range names {
		if k := schemaKinds(wireSchemas()[s], path, 0); k != nil {
			if out == nil {
				out = kinds{}
			}
			for x := range k {
				out[x] = true
			}
		}
	}
	if out == nil {
		return nil // in no schema: a field the server adds, or one the schema leaves open
	}
	if name == "previous" || name == "event" || len(path) > 0 {
		out["null"] = true // absent fields read as nil
	}
	return out
}

// param types params.a.b from the rule's parameters at every risk level.
func (t *typer) param(path []string) kinds {
	sets := []map[string]any{t.rule.Parameters}
	for _, p := range t.rule.RiskLevelParameters {
		sets = append(sets, p)
	}
	out := kinds{}
	for _, set := range sets {
		var v any = set
		for _, key := range path {
			m, ok := v.(map[string]any)
			if !ok || key == "[]" {
				return nil
			}
			v = m[key]
		}
		switch v.(type) {
		case bool:
			out["boolean"] = true
		case string:
			out["string"] = true
		case float64, int, json.Number:
			out["number"] = true
		case []any:
			out["array"] = true
		case map[string]any:
			out["object"] = true
		default:
			return nil // absent here, or of a type the decoder does not produce
		}
	}
	return out
}

var (
	schemasOnce sync.Once
	schemas     map[string]any
)

// wireSchemas are the OpenAPI document's component schemas.
func wireSchemas() map[string]any {
	schemasOnce.Do(func() {
		var doc struct {
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(schema.OpenAPI(), &doc); err != nil {
			panic("rules: the wire schema does not parse: " + err.Error())
		}
		schemas = doc.Components.Schemas
	})
	return schemas
}

// schemaKinds types path inside a JSON schema: nil when it cannot tell (or the path is not in
// the schema, as fields the server adds are not).
func schemaKinds(s any, path []string, depth int) kinds {
	node, ok := s.(map[string]any)
	if !ok || depth > 64 {
		return nil
	}
	if ref, ok := node["$ref"].(string); ok {
		return schemaKinds(wireSchemas()[strings.TrimPrefix(ref, "#/components/schemas/")], path, depth+1)
	}
	for _, combo := range []string{"allOf", "oneOf", "anyOf"} {
		subs, ok := node[combo].([]any)
		if !ok {
			continue
		}
		var found kinds
		for _, sub := range subs {
			if k := schemaKinds(sub, path, depth+1); k != nil {
				if found == nil {
					found = kinds{}
				}
				for x := range k {
					found[x] = true
				}
			}
		}
		return found
	}
	if len(path) == 0 {
		switch t := node["type"].(type) {
		case string:
			if t == "integer" {
				t = "number"
			}
			return kindsOf(t)
		}
		return nil
	}
	if path[0] == "[]" {
		return schemaKinds(node["items"], path[1:], depth+1)
	}
	props, _ := node["properties"].(map[string]any)
	return schemaKinds(props[path[0]], path[1:], depth+1)
}
