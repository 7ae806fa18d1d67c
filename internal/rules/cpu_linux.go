package rules

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time the calling OS thread has used. The evaluation locks its goroutine
// to its thread before reading it (threadClock), so this is the evaluation's own CPU time: time
// the thread waited for a core (a busy machine, other tenants' requests) does not count.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return monotonic()
	}
	return time.Duration(ts.Nano())
}
