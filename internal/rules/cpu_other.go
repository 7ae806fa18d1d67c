//go:build !linux

package rules

import "time"

// threadCPU falls back to the monotonic clock where the thread's CPU time is not read: a busy
// machine then counts against a rule.
func threadCPU() time.Duration { return monotonic() }
