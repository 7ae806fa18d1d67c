//go:build !linux

package sqlite

import "errors"

// raiseThreadPriority is not available where a nice value belongs to the whole process: the
// writer runs at the process's priority.
func raiseThreadPriority(int) (restore func(), err error) {
	return nil, errors.New("a thread's own priority is not supported on this system")
}
