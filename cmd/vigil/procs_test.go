package main

import (
	"os"
	"runtime"
	"testing"
)

// TestServeProcs: twice the default unless the operator set GOMAXPROCS.
func TestServeProcs(t *testing.T) {
	tests := []struct {
		current int
		set     bool
		want    int
	}{
		{2, false, 4},
		{1, false, 2},
		{2, true, 2},
		{16, true, 16},
	}
	for _, tc := range tests {
		if got := serveProcs(tc.current, tc.set); got != tc.want {
			t.Errorf("serveProcs(%d, %v) = %d, want %d", tc.current, tc.set, got, tc.want)
		}
	}
}

// TestTuneProcsDoesNotCompound: serving twice in one process (as the tests do) sets twice the
// default once, and an operator's GOMAXPROCS is left alone.
func TestTuneProcsDoesNotCompound(t *testing.T) {
	prevEnv, hadEnv := os.LookupEnv("GOMAXPROCS")
	prevProcs := runtime.GOMAXPROCS(0)
	t.Cleanup(func() {
		if hadEnv {
			os.Setenv("GOMAXPROCS", prevEnv)
		} else {
			os.Unsetenv("GOMAXPROCS")
		}
		runtime.GOMAXPROCS(prevProcs)
	})
	for _, env := range []string{"", "not a number", "0"} {
		os.Setenv("GOMAXPROCS", env)
		tuneProcs()
		tuneProcs()
		if got := runtime.GOMAXPROCS(0); got != 2*defaultProcs {
			t.Errorf("GOMAXPROCS=%q: %d procs after serving twice, want %d", env, got, 2*defaultProcs)
		}
	}
	os.Setenv("GOMAXPROCS", "3")
	tuneProcs()
	if got := runtime.GOMAXPROCS(0); got != defaultProcs {
		t.Errorf("GOMAXPROCS=3 set by the operator: %d procs, want the runtime's own %d", got, defaultProcs)
	}
}
