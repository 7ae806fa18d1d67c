package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveOnce starts `vigil serve` on dsn, waits until it listens, stops it and returns what it
// printed on stdout.
func serveOnce(t *testing.T, dsn string) string {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--db", dsn}, &out, io.Discard, ready)
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestFirstKeySurvivesATakenPort: a first start whose port is taken creates no key, so the next
// start that can serve still prints the first key; later starts say how to make another.
func TestFirstKeySurvivesATakenPort(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var out bytes.Buffer
	err = run(context.Background(), []string{"serve", "--listen", taken.Addr().String(), "--db", dsn}, &out, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("serve on a taken port: %v, want the bind error", err)
	}
	if strings.Contains(out.String(), "vgl_") {
		t.Fatalf("a start that could not serve printed a key: %s", out.String())
	}

	if first := serveOnce(t, dsn); !strings.Contains(first, "vgl_") {
		t.Fatalf("the first start that serves printed no key:\n%s", first)
	}
	again := serveOnce(t, dsn)
	if strings.Contains(again, "vgl_") || !strings.Contains(again, "vigil keys create --tenant default --db "+dsn) {
		t.Fatalf("a later start printed %q; want no key and how to create one", again)
	}
}
