package main

import (
	"os"
	"runtime/debug"
)

// serveGCPercent is the garbage collector's target for `vigil serve` when GOGC is not set. A
// server's live heap is small (a few caches, 10-20 MB with the defaults) while each request
// allocates its decoded body and profile, so Go's default (100) collects many times a second.
// Every collection takes a quarter of the server's threads for 10-20 ms and slows the rest, and
// requests arriving then wait: on two CPUs with the database on tmpfs (no disk in the way),
// every latency spike of a steady load at half the maximum began with a collection. 1600 makes
// them rare (about one every two seconds at 2,000 events/s); serveMemoryLimit keeps the heap it
// allows bounded (see BENCHMARKS.md).
const serveGCPercent = 1600

// Memory the server may use before the collector works harder than serveGCPercent asks: a base
// for everything but the user cache, and the user cache's budget of stored JSON about eight
// times over, as it is decoded.
const (
	memoryLimitBase     = 1 << 30
	userCacheDecodedPer = 8
)

// serveMemoryLimit is the soft memory limit (debug.SetMemoryLimit) for a server whose user cache
// holds userCacheBytes of stored JSON (-1: no cache).
func serveMemoryLimit(userCacheBytes int64) int64 {
	return memoryLimitBase + max(userCacheBytes, 0)*userCacheDecodedPer
}

// tuneGC applies serveGCPercent and serveMemoryLimit, each unless the operator chose their own
// (GOGC, GOMEMLIMIT).
func tuneGC(userCacheBytes int64) {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(serveMemoryLimit(userCacheBytes))
	}
}
