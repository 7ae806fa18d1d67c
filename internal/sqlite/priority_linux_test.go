package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// threadsAtNice counts this process's threads whose nice value is nice.
func threadsAtNice(t *testing.T, nice int) int {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/stat")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range tasks {
		stat, err := os.ReadFile(path)
		if err != nil {
			continue // the thread ended meanwhile
		}
		// Fields after the command's closing parenthesis start at the third; nice is the 19th.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if v, err := strconv.Atoi(fields[19-3]); err == nil && v == nice {
			n++
		}
	}
	return n
}

// TestWriterNice checks that the writer's thread, and only it, takes Limits.WriterNice for as
// long as the store is open, and that a priority the process may not take leaves the store
// working and says why.
func TestWriterNice(t *testing.T) {
	// getpriority's raw system call answers 20 minus the nice value.
	if prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0); err != nil || prio != 20 {
		t.Skipf("the test process runs at nice %d (%v), not 0", 20-prio, err)
	}
	ctx := context.Background()
	for _, nice := range []int{7, -3} { // a higher value is always allowed, a lower one may not be
		t.Run(strconv.Itoa(nice), func(t *testing.T) {
			before := threadsAtNice(t, nice)
			s, err := OpenWith(ctx, filepath.Join(t.TempDir(), "test.db"), Limits{WriterNice: nice})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			refused := s.WriterPriority()
			if nice > 0 && refused != nil {
				t.Fatalf("nice %d refused: %v", nice, refused)
			}
			want := before + 1
			if refused != nil {
				t.Logf("nice %d not permitted here: %v", nice, refused)
				want = before
			}
			if err := s.Update(ctx, tenantUnit("t")); err != nil {
				t.Fatal(err)
			}
			if got := threadsAtNice(t, nice); got != want {
				t.Errorf("%d threads at nice %d while open, want %d", got, nice, want)
			}
			s.Close()
			// The writer's thread is back at its nice value before Close returns.
			if got := threadsAtNice(t, nice); got != before {
				t.Errorf("%d threads at nice %d after close, want %d", got, nice, before)
			}
		})
	}
}
