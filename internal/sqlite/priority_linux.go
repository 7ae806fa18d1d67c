package sqlite

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// raiseThreadPriority locks the calling goroutine to its thread and gives that thread the nice
// value nice (on Linux a nice value is the thread's, not the process's); restore gives the
// thread its nice value back and unlocks it, so that no other goroutine inherits the priority.
// On an error nothing changed.
func raiseThreadPriority(nice int) (restore func(), err error) {
	runtime.LockOSThread()
	tid := unix.Gettid()
	// The raw system call answers 20 minus the nice value.
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	if err == nil {
		err = unix.Setpriority(unix.PRIO_PROCESS, tid, nice)
	}
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	return func() {
		// A higher nice value is always permitted; should it fail all the same, the thread
		// ends with the goroutine locked to it rather than carry the priority elsewhere.
		if unix.Setpriority(unix.PRIO_PROCESS, tid, 20-prio) == nil {
			runtime.UnlockOSThread()
		}
	}, nil
}
