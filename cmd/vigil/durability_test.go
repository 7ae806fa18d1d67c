package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/bench/loadgen"
	"github.com/vigil-aml/vigil/internal/storetest"
)

// TestNothingAcknowledgedIsLostOnSIGKILL runs the benchmark load against a real server
// process, kills it with SIGKILL in the middle, restarts it, and reads back every event that was
// answered 201: each one must be there. It runs on every available backend.
func TestNothingAcknowledgedIsLostOnSIGKILL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		dsn := b.DSN(t)
		if b.Name == "sqlite" {
			dsn = "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
		}
		key := newTestKey(t, dsn, "load")
		server := startServer(t, dsn)
		cfg := loadgen.Config{BaseURL: server.base, APIKey: key, Users: 20, Concurrency: 16, Duration: 25 * time.Second, Run: "kill"}
		if err := loadgen.CreateUsers(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var acked []string
		cfg.Acked = func(id string) {
			mu.Lock()
			acked = append(acked, id)
			mu.Unlock()
		}
		done := make(chan loadgen.Result)
		loadCtx, stopLoad := context.WithCancel(context.Background())
		defer stopLoad()
		go func() { done <- loadgen.Events(loadCtx, cfg) }()
		// Kill once a hundred events were acknowledged (on a loaded machine that takes longer
		// than on a quiet one), and while the load still runs.
		for waited := time.Duration(0); waited < 20*time.Second; waited += 50 * time.Millisecond {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= 100 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := server.cmd.Process.Kill(); err != nil { // SIGKILL mid-load
			t.Fatal(err)
		}
		server.cmd.Wait()
		stopLoad() // the server is gone: what is in flight now fails
		res := <-done
		mu.Lock()
		ids := append([]string(nil), acked...)
		mu.Unlock()
		if len(ids) < 100 {
			t.Fatalf("only %d events were acknowledged before the kill (%s)", len(ids), res)
		}

		restarted := startServer(t, dsn)
		for _, id := range ids {
			status, _, err := apiCall(http.DefaultClient, http.MethodGet, restarted.base+"/events/consumer/user/"+url.PathEscape(id), key, "")
			if err != nil {
				t.Fatal(err)
			}
			if status != http.StatusOK {
				t.Fatalf("event %s was answered 201 before the kill but is %d after the restart", id, status)
			}
		}
		t.Logf("%s: %d acknowledged events, all present after SIGKILL and restart", b.Name, len(ids))
	})
}
