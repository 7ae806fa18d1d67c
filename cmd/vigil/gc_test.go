package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestServeMemoryLimit: a base for the server, and the user cache's budget as decoded.
func TestServeMemoryLimit(t *testing.T) {
	tests := []struct {
		userCacheBytes, want int64
	}{
		{vigil.DefaultUserCacheBytes, 1<<30 + 8*vigil.DefaultUserCacheBytes}, // 1.5 GiB
		{-1, 1 << 30}, // no cache
		{0, 1 << 30},
		{1 << 30, 9 << 30},
	}
	for _, tc := range tests {
		if got := serveMemoryLimit(tc.userCacheBytes); got != tc.want {
			t.Errorf("serveMemoryLimit(%d) = %d, want %d", tc.userCacheBytes, got, tc.want)
		}
	}
}

// TestTuneGCLeavesTheOperatorsSettings: GOGC and GOMEMLIMIT, when set, win over the server's
// own targets; unset, the server's apply.
func TestTuneGCLeavesTheOperatorsSettings(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	})
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		if prev, had := os.LookupEnv(name); had {
			t.Cleanup(func() { os.Setenv(name, prev) })
		} else {
			t.Cleanup(func() { os.Unsetenv(name) })
		}
	}
	current := func() (int, int64) {
		percent := debug.SetGCPercent(-1)
		debug.SetGCPercent(percent)
		return percent, debug.SetMemoryLimit(-1) // a negative limit only reads it
	}

	os.Unsetenv("GOGC")
	os.Unsetenv("GOMEMLIMIT")
	tuneGC(vigil.DefaultUserCacheBytes)
	if percent, limit := current(); percent != serveGCPercent || limit != serveMemoryLimit(vigil.DefaultUserCacheBytes) {
		t.Errorf("unset: GOGC %d and limit %d, want %d and %d", percent, limit, serveGCPercent, serveMemoryLimit(vigil.DefaultUserCacheBytes))
	}

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	os.Setenv("GOGC", "100")
	os.Setenv("GOMEMLIMIT", "off")
	tuneGC(vigil.DefaultUserCacheBytes)
	if percent, limit := current(); percent != 100 || limit != math.MaxInt64 {
		t.Errorf("set by the operator: GOGC %d and limit %d, want theirs (100, no limit)", percent, limit)
	}
}
