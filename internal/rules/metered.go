package rules

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// meterName is the environment's entry holding the evaluation's meter; names starting with __
// are reserved, so an expression cannot name it.
const meterName = "__m"

// allowedBuiltins are expr's builtins a rule may call as they are: predicates (whose loops the
// meter ticks), and functions whose cost and result are bounded by their arguments, which are
// already paid for. Everything else is refused when a rule is checked.
var allowedBuiltins = setOf(
	"all", "none", "any", "one", "filter", "map", "find", "findIndex", "findLast", "findLastIndex", "count",
	"sum", "reduce", "len", "type", "abs", "ceil", "floor", "round", "int", "float",
	"trim", "trimPrefix", "trimSuffix", "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix",
	"max", "min", "mean", "median", "first", "last", "get", "date", "duration",
)

// meteredFunctions replace expr's builtins of the same name: each checks the size of what it
// builds before building it. A call of repeat(s, n) is compiled as __repeat(__m, s, n).
var meteredFunctions = map[string]expr.Option{
	"repeat": expr.Function("__repeat", func(p ...any) (any, error) {
		s, n := str("repeat", p[1]), count("repeat", p[2])
		meterOf(p).charge(mulBytes(len(s), n))
		return strings.Repeat(s, n), nil
	}, new(func(*meter, string, int) string), new(func(*meter, string, float64) string), new(func(*meter, any, any) string)),
	"join": expr.Function("__join", func(p ...any) (any, error) {
		sep := ""
		if len(p) > 2 {
			sep = str("join", p[2])
		}
		parts := strs("join", p[1])
		size := int64(0)
		for _, s := range parts {
			size += int64(len(s) + len(sep))
		}
		meterOf(p).charge(size)
		return strings.Join(parts, sep), nil
	}, new(func(*meter, any) string), new(func(*meter, any, string) string)),
	"replace": expr.Function("__replace", func(p ...any) (any, error) {
		s, old, new := str("replace", p[1]), str("replace", p[2]), str("replace", p[3])
		n := strings.Count(s, old)
		if old == "" {
			n = utf8.RuneCountInString(s) + 1
		}
		meterOf(p).charge(int64(len(s)) + mulBytes(n, len(new)))
		return strings.ReplaceAll(s, old, new), nil
	}, new(func(*meter, string, string, string) string)),
	"upper": expr.Function("__upper", func(p ...any) (any, error) {
		s := str("upper", p[1])
		meterOf(p).charge(2 * int64(len(s))) // case mapping grows UTF-8 by less than half
		return strings.ToUpper(s), nil
	}, new(func(*meter, string) string)),
	"lower": expr.Function("__lower", func(p ...any) (any, error) {
		s := str("lower", p[1])
		meterOf(p).charge(2 * int64(len(s)))
		return strings.ToLower(s), nil
	}, new(func(*meter, string) string)),
	"split": expr.Function("__split", func(p ...any) (any, error) {
		return split(p, strings.SplitN), nil
	}, new(func(*meter, string, string) []string), new(func(*meter, string, string, int) []string)),
	"splitAfter": expr.Function("__splitAfter", func(p ...any) (any, error) {
		return split(p, strings.SplitAfterN), nil
	}, new(func(*meter, string, string) []string), new(func(*meter, string, string, int) []string)),
	"concat": expr.Function("__concat", func(p ...any) (any, error) {
		size := int64(0)
		for _, a := range p[1:] {
			size += int64(length("concat", a))
		}
		meterOf(p).charge(size * bytesPerElement)
		out := make([]any, 0, size)
		for _, a := range p[1:] {
			out = appendAll(out, a)
		}
		return out, nil
	}, new(func(*meter, ...any) []any)),
	"string": expr.Function("__string", func(p ...any) (any, error) {
		switch v := p[1].(type) {
		case string:
			return v, nil
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		case int:
			return strconv.Itoa(v), nil
		case bool:
			return strconv.FormatBool(v), nil
		case nil:
			return "<nil>", nil
		}
		return nil, fmt.Errorf("string: only of a string, number or boolean, not %T", p[1])
	}, new(func(*meter, any) string)),
}

// addFunction is the + operator: numbers add, strings concatenate after the meter accepted the
// result's size, anything else as expr adds it.
var addFunction = expr.Function("__add", func(p ...any) (any, error) {
	if x, ok := p[1].(float64); ok {
		if y, ok := p[2].(float64); ok {
			return x + y, nil
		}
	}
	if x, ok := p[1].(string); ok {
		if y, ok := p[2].(string); ok {
			meterOf(p).charge(int64(len(x) + len(y)))
			return x + y, nil
		}
	}
	return runtime.Add(p[1], p[2]), nil
}, new(func(*meter, any, any) any))

// inFunction is the in operator on a value that may be an array: a membership test over up to a
// million elements is a loop of its own, so it ticks every inTick elements.
var inFunction = expr.Function("__in", func(p ...any) (any, error) {
	m, needle := meterOf(p), p[1]
	switch l := p[2].(type) {
	case []any:
		for i, x := range l {
			if i%inTick == inTick-1 {
				m.tick()
			}
			if runtime.Equal(x, needle) {
				return true, nil
			}
		}
		return false, nil
	case []int:
		for i, x := range l {
			if i%inTick == inTick-1 {
				m.tick()
			}
			if runtime.Equal(x, needle) {
				return true, nil
			}
		}
		return false, nil
	}
	return runtime.In(needle, p[2]), nil
}, new(func(*meter, any, any) bool))

const inTick = 1024

// tickFunction is one iteration of a loop.
var tickFunction = expr.Function("__tick", func(p ...any) (any, error) {
	meterOf(p).tick()
	return nil, nil
}, new(func(*meter) any))

func meterOf(p []any) *meter { return p[0].(*meter) }

func split(p []any, fn func(s, sep string, n int) []string) []string {
	s, sep, n := str("split", p[1]), str("split", p[2]), -1
	if len(p) > 3 {
		n = count("split", p[3])
	}
	parts := int64(strings.Count(s, sep) + 1)
	if sep == "" {
		parts = int64(utf8.RuneCountInString(s))
	}
	meterOf(p).charge(parts * bytesPerElement)
	return fn(s, sep, n)
}

func str(fn string, v any) string {
	s, ok := v.(string)
	if !ok {
		panic(fmt.Errorf("%s: expected a string, not %T", fn, v))
	}
	return s
}

func strs(fn string, v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, len(l))
		for i, x := range l {
			out[i] = str(fn, x)
		}
		return out
	}
	panic(fmt.Errorf("%s: expected an array of strings, not %T", fn, v))
}

// length is the number of elements of an array.
func length(fn string, v any) int {
	switch l := v.(type) {
	case []any:
		return len(l)
	case []string:
		return len(l)
	case []int:
		return len(l)
	case []float64:
		return len(l)
	}
	panic(fmt.Errorf("%s: expected an array, not %T", fn, v))
}

func appendAll(out []any, v any) []any {
	switch l := v.(type) {
	case []any:
		return append(out, l...)
	case []string:
		for _, x := range l {
			out = append(out, x)
		}
	case []int:
		for _, x := range l {
			out = append(out, x)
		}
	case []float64:
		for _, x := range l {
			out = append(out, x)
		}
	}
	return out
}

// count reads a non-negative whole number.
func count(fn string, v any) int {
	switch n := v.(type) {
	case int:
		if n >= 0 {
			return n
		}
	case float64:
		if n >= 0 && n <= 1e15 && n == math.Trunc(n) { // larger than any budget, and exact
			return int(n)
		}
	}
	panic(fmt.Errorf("%s: expected a whole number of at least 0, not %v", fn, v))
}

// mulBytes is a*b, saturated so the meter refuses it instead of overflowing.
func mulBytes(a, b int) int64 {
	if a != 0 && b > math.MaxInt64/16/a {
		return math.MaxInt64 / 2
	}
	return int64(a) * int64(b)
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// meterPatch makes a compiled rule pay for its work: every predicate body (one loop iteration
// of all, any, map, filter, reduce, ...) starts with a tick, every + whose operands are not
// known numbers goes through the metered addition, and calls of the metered builtins go to
// their metered versions with the meter as first argument.
type meterPatch struct{}

func (meterPatch) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		if seq, ok := n.Node.(*ast.SequenceNode); ok && isTick(seq.Nodes[0]) {
			return // patched already
		}
		n.Node = &ast.SequenceNode{Nodes: []ast.Node{meterCall("__tick"), n.Node}}
	case *ast.BinaryNode:
		var call *ast.CallNode
		switch {
		case n.Operator == "+" && !(isNumber(n.Left) && isNumber(n.Right)):
			call = meterCall("__add", n.Left, n.Right)
		case n.Operator == "in" && !isBounded(n.Right):
			call = meterCall("__in", n.Left, n.Right)
		default:
			return
		}
		call.SetLocation(n.Location())
		ast.Patch(node, call)
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || meteredFunctions[id.Value] == nil {
			return
		}
		call := meterCall("__"+id.Value, n.Arguments...)
		call.SetLocation(n.Location())
		ast.Patch(node, call)
	}
}

func meterCall(name string, args ...ast.Node) *ast.CallNode {
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: append([]ast.Node{&ast.IdentifierNode{Value: meterName}}, args...)}
}

func isTick(n ast.Node) bool {
	c, ok := n.(*ast.CallNode)
	if !ok {
		return false
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	return ok && id.Value == "__tick"
}

func isNumber(n ast.Node) bool {
	t := n.Type()
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Float64:
		return true
	}
	return false
}

// isBounded reports whether in over n costs no more than the expression's size: an array
// literal, a map (a lookup), or a range of constants (compared at its ends).
func isBounded(n ast.Node) bool {
	switch r := n.(type) {
	case *ast.ArrayNode:
		return true
	case *ast.BinaryNode:
		_, ok1 := constInt(r.Left)
		_, ok2 := constInt(r.Right)
		return r.Operator == ".." && ok1 && ok2
	}
	t := n.Type()
	return t != nil && (t.Kind() == reflect.Map || t.Kind() == reflect.Struct)
}
