//go:build !linux

package screening

import "time"

// threadCPU is not measured outside Linux; the CPU percentiles then read zero.
func threadCPU() time.Duration { return 0 }

// processCPU is not measured outside Linux.
func processCPU() time.Duration { return 0 }
