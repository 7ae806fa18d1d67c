package benchenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestWritten: a process's written bytes and write calls grow by what it writes.
func TestWritten(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/PID/io is Linux's")
	}
	pid := os.Getpid()
	bytes0, calls0, ok := Written(pid)
	if !ok {
		t.Skip("this kernel does not show /proc/PID/io")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 10_000)
	for range 3 {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	bytes1, calls1, ok := Written(pid)
	if !ok || bytes1-bytes0 < 30_000 || calls1-calls0 < 3 {
		t.Fatalf("Written after 3 writes of 10,000 bytes: %d bytes, %d calls more (ok %v)", bytes1-bytes0, calls1-calls0, ok)
	}
	if _, _, ok := Written(-1); ok {
		t.Fatal("Written of no process reported counts")
	}
}
