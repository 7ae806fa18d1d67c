package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/vigil-aml/vigil/internal/schema"
)

// maxNodes bounds the size of an expression's tree; the budget (budget.go) bounds its run.
const maxNodes = 2000

// Set is a tenant's rules, compiled. It is safe for concurrent use.
type Set struct {
	rules []compiled
	lists map[string]map[string]bool
	// byInstance finds a rule by its ruleInstanceId, for AppendResult and AppendHit.
	byInstance map[string]int
}

type compiled struct {
	Rule
	program *vm.Program
	// broken is why a stored rule no longer compiles (CompileStored): it fails every evaluation.
	broken error
	// vars are the profile, event and parameter values the expression reads, reported on a hit.
	vars []variable
	// head is the JSON every result and hit of the rule opens with (ids, name, description),
	// encoded once: it is most of an evaluation's text.
	head []byte
}

type variable struct {
	name    string
	program *vm.Program
}

// compileOptions are expr's options for every program of a rule: the environment, the fast
// member access of JSON values, the restricted builtins and the metered functions, and the
// patch that makes a program tick its meter.
func compileOptions() []expr.Option {
	opts := []expr.Option{expr.Env(sampleEnv), expr.MaxNodes(maxNodes), fetchOption, addFunction, inFunction, tickFunction,
		expr.DisableAllBuiltins()}
	for name := range allowedBuiltins {
		opts = append(opts, expr.EnableBuiltin(name))
	}
	for _, f := range meteredFunctions {
		opts = append(opts, f)
	}
	return append(opts, expr.Patch(fastMembers{}), expr.Patch(meterPatch{}))
}

// Compile checks and compiles rules. lists are the country lists onList() can name (the tenant's
// risk model's). Disabled rules are checked but not kept.
func Compile(rs []Rule, lists map[string][]string) (*Set, error) {
	s, err := compile(rs, lists, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// CheckAll reports every problem of rules about to be stored, as Compile does, and also every
// onList() naming a list that is not one of lists (the tenant's risk model's).
func CheckAll(rs []Rule, lists map[string][]string) error {
	_, err := compile(rs, lists, lists)
	return err
}

// CompileStored compiles a tenant's stored rules, which were checked when they were stored: a
// rule that no longer compiles (the rules of an earlier version, a country list since removed
// from the risk model) is kept and fails every evaluation, instead of failing the tenant's
// every write.
func CompileStored(rs []Rule, lists map[string][]string) *Set {
	s, _ := compile(rs, lists, nil)
	return s
}

// compile compiles rs; checkLists, when not nil, are the lists onList() may name.
func compile(rs []Rule, lists, checkLists map[string][]string) (*Set, error) {
	s := &Set{lists: map[string]map[string]bool{}}
	for name, countries := range lists {
		s.lists[name] = map[string]bool{}
		for _, c := range countries {
			s.lists[name][c] = true
		}
	}
	var problems []string
	seen := map[string]bool{}
	for i, r := range rs {
		c, err := compileRule(r, checkLists)
		if err != nil {
			var re *schema.Invalid
			errors.As(err, &re)
			for _, p := range re.Strings() {
				problems = append(problems, fmt.Sprintf("rules[%d] (%s): %s", i, r.InstanceID, p))
			}
			if !r.IsEnabled() {
				continue
			}
			c = compiled{Rule: r, broken: err}
			if c.Labels == nil {
				c.Labels = []string{}
			}
		}
		if seen[r.InstanceID] {
			problems = append(problems, fmt.Sprintf("rules[%d]: ruleInstanceId %q is used twice", i, r.InstanceID))
		}
		seen[r.InstanceID] = true
		if r.IsEnabled() {
			s.rules = append(s.rules, c)
		}
	}
	s.byInstance = make(map[string]int, len(s.rules))
	for i := range s.rules {
		r := &s.rules[i]
		r.head = appendHead(nil, r.ID, r.InstanceID, r.Name, r.Description)
		s.byInstance[r.InstanceID] = i
	}
	if problems != nil {
		return s, invalid(problems...)
	}
	return s, nil
}

// Check reports every problem of one rule, including its expression's compile errors. lists
// are the country lists of the tenant's risk model, which onList() may name (nil: any name).
func Check(r Rule, lists map[string][]string) error {
	_, err := compileRule(r, lists)
	return err
}

func compileRule(r Rule, lists map[string][]string) (compiled, error) {
	problems := r.check()
	if r.Labels == nil {
		r.Labels = []string{} // results always carry labels, empty when the rule has none
	}
	c := compiled{Rule: r}
	if strings.TrimSpace(r.Expression) != "" {
		problems = append(problems, c.compileExpression(lists)...)
	}
	if problems != nil {
		return compiled{}, invalid(problems...)
	}
	return c, nil
}

// compileExpression checks the expression as written (names, functions, constant ranges),
// compiles it, and checks that its result can be a boolean and that the country lists it names
// exist.
func (c *compiled) compileExpression(lists map[string][]string) []string {
	src := c.Expression
	// The tree as written: the compiled one has fetch and meter calls in it.
	tree, err := parser.Parse(src)
	if err == nil {
		if p := staticProblems(src, tree.Node); p != nil {
			return p
		}
	}
	program, err := expr.Compile(src, append(compileOptions(), expr.AsBool())...)
	if err != nil {
		return []string{"expression: " + compileMessage(err)}
	}
	c.program = program
	var problems []string
	if tree != nil {
		if p := resultProblem(c.Rule, src, tree.Node); p != "" {
			problems = append(problems, p)
		}
		if lists != nil {
			problems = append(problems, listProblems(c.Rule, src, tree.Node, lists)...)
		}
		c.vars = variables(tree.Node)
		problems = append(problems, checkCalls(src, tree.Node)...)
	}
	return problems
}

// compileMessage renders a compiler error with its position.
func compileMessage(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fmt.Sprintf("line %d, column %d: %s", fe.Line, fe.Column+1, fe.Message)
	}
	return err.Error()
}

// variables finds the member chains of user, previous, event and params that an expression
// reads, and compiles each so its value can be reported when the rule hits.
func variables(root ast.Node) []variable {
	v := &chainCollector{}
	ast.Walk(&root, v)
	sort.Strings(v.found)
	var out []variable
	for i, name := range v.found {
		if i > 0 && v.found[i-1] == name {
			continue
		}
		// Keep only the longest chains: user.a.b, not also user.a (sorted, so a longer chain
		// with this prefix follows it).
		longer := false
		for _, other := range v.found[i+1:] {
			if strings.HasPrefix(other, name+".") || strings.HasPrefix(other, name+"?.") {
				longer = true
				break
			}
		}
		if longer {
			continue
		}
		p, err := expr.Compile(name, compileOptions()...)
		if err == nil {
			out = append(out, variable{name: name, program: p})
		}
	}
	return out
}

type chainCollector struct{ found []string }

func (c *chainCollector) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	base := m.Node
	for {
		switch b := base.(type) {
		case *ast.MemberNode:
			base = b.Node
			continue
		case *ast.ChainNode:
			base = b.Node
			continue
		case *ast.IdentifierNode:
			switch b.Value {
			case "user", "previous", "event", "params":
				c.found = append(c.found, (*node).String())
			}
		}
		return
	}
}

// Input is one write to evaluate.
type Input struct {
	// UserType is CONSUMER or BUSINESS; Stage INITIAL or UPDATE.
	UserType, Stage string
	User, Previous  map[string]any
	Event           map[string]any
	Now             time.Time
	// RiskLevel is the user's CRA level before the write ("" counts as VERY_HIGH).
	RiskLevel  string
	Aggregates Aggregates
	// Budget bounds the evaluation (the zero value: the defaults).
	Budget Budget
	// Screening is what Vigil's own sanctions and PEP screening found for the user's names
	// (rules read it as screening.sanctions, screening.pep, screening.matches); nil when the
	// tenant screens nothing.
	Screening map[string]any
}

// Result is one rule's outcome in the wire's ExecutedRulesResult shape.
type Result struct {
	RuleID            string `json:"ruleId,omitempty"`
	RuleInstanceID    string `json:"ruleInstanceId"`
	RuleName          string `json:"ruleName"`
	RuleDescription   string `json:"ruleDescription"`
	RuleAction        string `json:"ruleAction"`
	RuleHit           bool   `json:"ruleHit"`
	VersionID         string `json:"versionId,omitempty"`
	ExecutedAt        int64  `json:"executedAt"`
	ExecutedRiskLevel string `json:"executedRiskLevel"`
	// RuleHitMeta is Flagright's ruleHitMeta as JSON: Vigil sets it on a screening rule's hit
	// (sanctionsDetails); nil otherwise.
	RuleHitMeta json.RawMessage `json:"ruleHitMeta,omitempty"`
	Vars        []Vars          `json:"vars,omitempty"`
	Labels      []string        `json:"labels"`
	Nature      string          `json:"nature,omitempty"`
	IsShadow    bool            `json:"isShadow,omitempty"`
}

// Hit is a hit rule in the wire's HitRulesDetails shape.
type Hit struct {
	RuleID            string `json:"ruleId,omitempty"`
	RuleInstanceID    string `json:"ruleInstanceId"`
	RuleName          string `json:"ruleName"`
	RuleDescription   string `json:"ruleDescription"`
	RuleAction        string `json:"ruleAction"`
	VersionID         string `json:"versionId,omitempty"`
	ExecutedAt        int64  `json:"executedAt"`
	ExecutedRiskLevel string `json:"executedRiskLevel"`
	// RuleHitMeta is the result's ruleHitMeta (Result.RuleHitMeta).
	RuleHitMeta json.RawMessage `json:"ruleHitMeta,omitempty"`
	Labels      []string        `json:"labels"`
	Nature      string          `json:"nature,omitempty"`
	IsShadow    bool            `json:"isShadow,omitempty"`
}

// Vars is the wire's ExecutedLogicVars: the values that made a rule hit.
type Vars struct {
	Value map[string]any `json:"value"`
}

// Failure is a rule that could not be evaluated: it counts as not hit.
type Failure struct {
	RuleInstanceID string
	// Reason is ReasonTime, ReasonMemory or ReasonError.
	Reason string
	Err    error
}

// Output is the outcome of evaluating a set for one write.
type Output struct {
	// Executed are the live rules' results; Hits the live rules that hit, in the same order.
	Executed []Result
	Hits     []Hit
	// Shadow are the shadow rules' results, left out of responses, status and risk.
	Shadow []Result
	// Triggers are the changes the live hits ask for, in rule order.
	Triggers []Triggers
	Failures []Failure
}

// Evaluate runs every rule that applies to the user type and stage.
func (s *Set) Evaluate(in Input) Output {
	level := in.RiskLevel
	if level == "" {
		level = "VERY_HIGH" // as Flagright does for users without a CRA level
	}
	env := newEnv(in, s.lists)
	env["riskLevel"] = level
	out := Output{Executed: make([]Result, 0, len(s.rules)), Hits: []Hit{}, Shadow: []Result{}}
	at := in.Now.UnixMilli()
	budget := in.Budget.withDefaults()
	m := &meter{ruleTime: budget.RuleTime, ruleBytes: budget.RuleMemory}
	env[meterName] = m
	// One machine for every rule of this write: it keeps its stack between runs. Its own memory
	// budget counts the elements of the arrays and maps it builds (ranges, literals, sorts).
	machine := &vm.VM{MemoryBudget: uint(budget.RuleMemory / bytesPerElement)}
	// The budgets are of CPU time, read from this thread's clock once they could matter; the
	// first reading keeps the goroutine on its thread until the evaluation ends.
	defer m.clock.release()
	m.write.start(monotonic(), budget.WriteTime)
	for i := range s.rules {
		r := &s.rules[i]
		if !applies(r.UserTypes, in.UserType) || !applies(r.Stages, in.Stage) {
			continue
		}
		params := r.Parameters
		if p, ok := r.RiskLevelParameters[level]; ok {
			params = p
		}
		env["params"] = params
		action := r.Action
		if a, ok := r.RiskLevelActions[level]; ok {
			action = a
		}
		hit, err := s.run(r, machine, m, env)
		if err != nil {
			out.Failures = append(out.Failures, Failure{RuleInstanceID: r.InstanceID, Reason: reasonOf(err), Err: err})
		}
		res := Result{RuleID: r.ID, RuleInstanceID: r.InstanceID, RuleName: r.Name, RuleDescription: r.Description,
			RuleAction: action, RuleHit: hit, VersionID: r.VersionID, ExecutedAt: at, ExecutedRiskLevel: level,
			Labels: r.Labels, Nature: r.Nature, IsShadow: r.Shadow}
		if hit {
			res.Vars = []Vars{{Value: r.values(machine, env)}}
		}
		if r.Shadow {
			out.Shadow = append(out.Shadow, res)
			continue
		}
		out.Executed = append(out.Executed, res)
		if hit {
			out.Hits = append(out.Hits, res.AsHit())
			if r.TriggersOnHit != nil {
				out.Triggers = append(out.Triggers, *r.TriggersOnHit)
			}
		}
	}
	return out
}

// run evaluates one rule within its budget and what is left of the write's.
func (s *Set) run(r *compiled, machine *vm.VM, m *meter, env Env) (bool, error) {
	if r.broken != nil {
		return false, r.broken
	}
	if m.write.spent(monotonic(), &m.clock) {
		return false, &BudgetError{Reason: ReasonTime, Detail: "the write's rules ran out of their time budget before this rule"}
	}
	m.begin()
	return run(machine, r.program, env)
}

// run evaluates a program; a failure or a panic is an error and no hit.
func run(machine *vm.VM, p *vm.Program, env Env) (hit bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			hit, err = false, fmt.Errorf("rule panicked: %v", r)
		}
	}()
	v, err := machine.Run(p, env)
	if err != nil {
		var be *BudgetError
		if errors.As(err, &be) {
			return false, be
		}
		if strings.Contains(err.Error(), "memory budget exceeded") { // expr's own budget (vm.MemoryBudget)
			return false, &BudgetError{Reason: ReasonMemory, Detail: "the rule exceeded its memory budget (array elements)"}
		}
		return false, err
	}
	b, _ := v.(bool)
	return b, nil
}

func (r *compiled) values(machine *vm.VM, env Env) map[string]any {
	out := make(map[string]any, len(r.vars))
	for _, v := range r.vars {
		if val, err := machine.Run(v.program, env); err == nil {
			out[v.name] = val
		}
	}
	return out
}

func applies(allowed []string, v string) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if a == v {
			return true
		}
	}
	return false
}
