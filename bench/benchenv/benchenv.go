// Package benchenv holds what the benchmark programs under bench/ share about their machine:
// a free port, the repository's root, a process's CPU time, settings from the environment.
package benchenv

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FreeAddr returns a loopback address whose port was free a moment ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// RepoRoot returns the directory of the module the go command runs in.
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// CPUTime reads a process's user and system CPU time from /proc (Linux; false elsewhere). The
// kernel counts it in clock ticks of 1/100 s on Linux (USER_HZ).
func CPUTime(pid int) (time.Duration, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}

// PeakRSS returns the most resident memory process pid has had (VmHWM in /proc/PID/status;
// Linux only, false elsewhere).
func PeakRSS(pid int) (int64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fields := strings.Fields(rest) // "12345 kB"
			if len(fields) != 2 || fields[1] != "kB" {
				return 0, false
			}
			kb, err := strconv.ParseInt(fields[0], 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}

// Written returns the bytes process pid has written and its write calls, to files and sockets
// alike (wchar and syscw in /proc/PID/io; Linux only, false elsewhere): counts that move with
// what a change does, not with the machine's speed.
func Written(pid int) (bytes, calls int64, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, 0, false
	}
	var found int
	for line := range strings.Lines(string(data)) {
		name, value, _ := strings.Cut(strings.TrimSpace(line), ": ")
		n, err := strconv.ParseInt(value, 10, 64)
		switch {
		case err != nil:
			continue
		case name == "wchar":
			bytes, found = n, found+1
		case name == "syscw":
			calls, found = n, found+1
		}
	}
	return bytes, calls, found == 2
}

// EnvOr returns the environment variable name, or def when it is empty.
func EnvOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
