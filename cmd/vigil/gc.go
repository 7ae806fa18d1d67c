package main

import (
	"os"
	"runtime/debug"
)

// serveGCPercent is the garbage collector's target for `vigil serve` when GOGC is not set. Go's
// default (100) collects whenever the heap doubles; a server's live heap is small (a few caches)
// while each request allocates its decoded body and profile, so the default spends a large share
// of the CPU marking the same small live set again and again. 400 trades a few more megabytes of
// garbage for several times fewer collections (see BENCHMARKS.md).
const serveGCPercent = 400

// tuneGC applies serveGCPercent unless the operator chose their own GOGC.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
}
