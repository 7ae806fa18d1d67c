package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeConsoleFlag: serve answers the console beside the API by default and not at all with
// --console=false, where /console/ is the API's 404.
func TestServeConsoleFlag(t *testing.T) {
	for _, tc := range []struct {
		flags  []string
		status int
		body   string
	}{
		{nil, http.StatusOK, `<label for="email">Email</label>`},
		{[]string{"--console=false"}, http.StatusNotFound, `"message"`},
	} {
		ctx, stop := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		dsn := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
		go func() {
			args := append([]string{"serve", "--listen", "127.0.0.1:0", "--db", dsn}, tc.flags...)
			done <- run(ctx, args, io.Discard, io.Discard, ready)
		}()
		var addr string
		select {
		case addr = <-ready:
		case err := <-done:
			t.Fatalf("%v: serve ended early: %v", tc.flags, err)
		case <-time.After(20 * time.Second):
			t.Fatalf("%v: serve did not start", tc.flags)
		}
		res, err := http.Get("http://" + addr + "/console/signin")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || !strings.Contains(string(body), tc.body) {
			t.Errorf("%v: GET /console/signin = %d %s", tc.flags, res.StatusCode, body)
		}
		// The console is served inside the API's middleware: its answers carry a request id.
		if res.Header.Get("X-Request-Id") == "" {
			t.Errorf("%v: GET /console/signin has no X-Request-Id", tc.flags)
		}
		if res, err := http.Get("http://" + addr + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("%v: the API beside the console: %v", tc.flags, err)
		} else {
			res.Body.Close()
		}
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
