package main

import (
	"os"
	"runtime"
	"strconv"
)

// serveProcsFactor multiplies Go's default GOMAXPROCS (the CPUs the process may use) for `vigil
// serve` when GOMAXPROCS is not set. SQLite's single writer spends much of its time in system
// calls (WAL writes, fsync) that keep their P until the runtime takes it back and hands it to
// another thread; with one P per CPU, ready requests wait for that hand-off while a CPU sits
// idle. Twice as many Ps as CPUs let the kernel run them meanwhile (BENCHMARKS.md has the gain
// on SQLite and PostgreSQL). It is Vigil's own setting, not the process environment's: the
// benchmark's echo baseline and load generator, which make few system calls, are slower with it.
const serveProcsFactor = 2

// defaultProcs is GOMAXPROCS as the process started: tuneProcs derives from it, so serving
// twice in one process (the tests do) does not multiply again.
var defaultProcs = runtime.GOMAXPROCS(0)

// tuneProcs applies serveProcsFactor unless the operator chose their own GOMAXPROCS (a positive
// number, which is what the runtime itself takes from it).
func tuneProcs() {
	n, err := strconv.Atoi(os.Getenv("GOMAXPROCS"))
	runtime.GOMAXPROCS(serveProcs(defaultProcs, err == nil && n > 0))
}

// serveProcs is the GOMAXPROCS to serve with: the operator's, when set, else serveProcsFactor
// times the default.
func serveProcs(current int, set bool) int {
	if set {
		return current
	}
	return current * serveProcsFactor
}
