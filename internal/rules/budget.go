package rules

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Budget bounds the evaluation of rules. expr cannot interrupt a running program and a goroutine
// cannot be killed, so the bound is enforced inside the evaluation: every loop iteration of a
// rule (each run of a predicate of all, any, map, filter, reduce, ...) ticks a meter that checks
// the clock, and every function that builds a string or an array charges the bytes it is about
// to allocate before allocating them. A rule over budget stops with an error and counts as not
// hit. The zero value means the defaults.
type Budget struct {
	// RuleTime bounds one rule's evaluation (default DefaultRuleTime).
	RuleTime time.Duration
	// RuleMemory bounds the bytes one rule's evaluation allocates, in total (default
	// DefaultRuleMemory).
	RuleMemory int64
	// WriteTime bounds all rules of one write (default DefaultWriteTime): rules left when it is
	// spent are reported as failed without running.
	WriteTime time.Duration
}

// The default budget: a rule of the library takes microseconds and allocates a few KiB.
const (
	DefaultRuleTime   = 5 * time.Millisecond
	DefaultRuleMemory = 16 << 20
	DefaultWriteTime  = 50 * time.Millisecond
)

func (b Budget) withDefaults() Budget {
	if b.RuleTime <= 0 {
		b.RuleTime = DefaultRuleTime
	}
	if b.RuleMemory <= 0 {
		b.RuleMemory = DefaultRuleMemory
	}
	if b.WriteTime <= 0 {
		b.WriteTime = DefaultWriteTime
	}
	return b
}

// Failure reasons, the values of Failure.Reason: a bounded set, fit for a metric label.
const (
	ReasonTime   = "time"   // the rule or the write ran out of time
	ReasonMemory = "memory" // the rule allocated more than its budget
	ReasonError  = "error"  // the expression failed (a type error, a bad argument, ...)
)

// BudgetError is a rule stopped by its budget.
type BudgetError struct {
	Reason string // ReasonTime or ReasonMemory
	Detail string
}

func (e *BudgetError) Error() string { return e.Detail }

// reasonOf classifies an evaluation error.
func reasonOf(err error) string {
	var be *BudgetError
	if errors.As(err, &be) {
		return be.Reason
	}
	return ReasonError
}

// bytesPerElement is what one element of an array costs in the budget: an interface value.
const bytesPerElement = 16

var clockStart = time.Now()

// monotonic reads the monotonic clock as a duration.
func monotonic() time.Duration { return time.Since(clockStart) }

// cpuDeadline is a CPU-time budget checked cheaply. The CPU time used since start is at most the
// wall time elapsed, so the thread's CPU time (a system call) is read only once the wall time
// alone could matter: first after cpuLookAfter, when that first stretch is counted as
// cpuLookAfter of CPU, then whenever the wall time could have spent what is left. Rules that
// take microseconds, nearly all of them, never make the system call.
type cpuDeadline struct {
	budget    time.Duration
	wallStart time.Duration
	nextWall  time.Duration // monotonic(): the CPU time need not be read before it
	cpuStart  time.Duration
	cpuKnown  bool
}

// cpuLookAfter is when a deadline first reads the CPU time: at most this much time the thread
// waited for a core counts against a budget.
const cpuLookAfter = 200 * time.Microsecond

func (d *cpuDeadline) start(wall, budget time.Duration) {
	d.budget, d.wallStart, d.nextWall, d.cpuKnown = budget, wall, wall+min(budget, cpuLookAfter), false
}

// spent reports whether the budget is spent, wall being monotonic().
func (d *cpuDeadline) spent(wall time.Duration, t *threadClock) bool {
	if wall < d.nextWall {
		return false
	}
	cpu := t.read()
	if !d.cpuKnown {
		// At most cpuLookAfter of the stretch before counts: a thread that waited for a core
		// through it (a busy machine) is not charged the wait.
		d.cpuStart, d.cpuKnown = cpu-min(wall-d.wallStart, cpuLookAfter), true
	}
	used := cpu - d.cpuStart
	if used >= d.budget {
		return true
	}
	d.nextWall = wall + d.budget - used
	return false
}

// meter counts the work of one rule's evaluation. The compiled program reaches it through the
// environment (meterName), and the patched program calls it: tick on every loop iteration,
// charge before every allocation of a metered function.
type meter struct {
	ruleTime  time.Duration
	ruleBytes int64
	// write is the budget of all rules of the write, started with the evaluation.
	write cpuDeadline
	// rule is the running rule's, started on its first tick: a rule that never loops is bounded
	// by the size of its expression, and most never do.
	rule    cpuDeadline
	started bool
	bytes   int64
	clock   threadClock
}

// threadClock reads the thread's CPU time, locking the evaluation's goroutine to its thread on
// the first reading so that every later reading is of the same thread. Evaluations that never
// read it (nearly all) never lock.
type threadClock struct{ locked bool }

func (t *threadClock) read() time.Duration {
	if !t.locked {
		t.locked = true
		runtime.LockOSThread()
	}
	return threadCPU()
}

// release unlocks the goroutine if a reading locked it.
func (t *threadClock) release() {
	if t.locked {
		t.locked = false
		runtime.UnlockOSThread()
	}
}

// begin starts a rule's evaluation.
func (m *meter) begin() {
	m.started = false
	m.bytes = 0
}

// tick is one loop iteration. Looking at the clock on every iteration (tens of nanoseconds)
// keeps the overshoot to one iteration, which matters when iterations grow (a doubling reduce).
func (m *meter) tick() {
	now := monotonic()
	if !m.started {
		m.started = true
		m.rule.start(now, m.ruleTime)
		return
	}
	if m.rule.spent(now, &m.clock) {
		panic(&BudgetError{Reason: ReasonTime, Detail: fmt.Sprintf("the rule ran out of its time budget (%v of CPU)", m.ruleTime)})
	}
	if m.write.spent(now, &m.clock) {
		panic(&BudgetError{Reason: ReasonTime, Detail: fmt.Sprintf("the write's rules ran out of their time budget (%v of CPU)", m.write.budget)})
	}
}

// charge accounts n bytes about to be allocated, refusing them when they would exceed the
// budget.
func (m *meter) charge(n int64) {
	if n < 0 || m.bytes+n > m.ruleBytes {
		panic(&BudgetError{Reason: ReasonMemory, Detail: fmt.Sprintf("the rule exceeded its memory budget (%d bytes)", m.ruleBytes)})
	}
	m.bytes += n
	m.tick()
}
