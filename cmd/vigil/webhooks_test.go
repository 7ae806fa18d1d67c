package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/webhooksig"
)

// TestWebhooksSurviveSIGKILL queues deliveries while the receiver is down, kills the server with
// SIGKILL, then starts the receiver and the server again: every acknowledged change is delivered,
// signed, in order.
func TestWebhooksSurviveSIGKILL(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
	ctx := context.Background()
	key := newTestKey(t, dsn, "acme")

	// A port with nothing listening yet: deliveries fail until the receiver starts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hookAddr := ln.Addr().String()
	ln.Close()
	var out bytes.Buffer
	if err := run(ctx, []string{"webhooks", "add", "--tenant", "acme", "--url", "http://" + hookAddr + "/hook", "--events", "USER_TAGS_UPDATED", "--db", dsn}, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	secret := lastLine(out.String())

	server := startServer(t, dsn)
	call := func(path, body string) {
		status, _, err := apiCall(http.DefaultClient, http.MethodPost, server.base+path, key, body)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusCreated {
			t.Fatalf("POST %s: %d", path, status)
		}
	}
	call("/consumer/users", `{"userId":"u1","createdTimestamp":1700000000000}`)
	const n = 5
	for i := range n {
		call("/events/consumer/user", `{"userId":"u1","timestamp":`+itoa(1700000001000+i)+`,"updatedConsumerUserAttributes":{"tags":[{"key":"step","value":"`+itoa(i)+`"}]}}`)
	}
	if err := server.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatal(err)
	}
	server.cmd.Wait()

	var mu sync.Mutex
	var steps []string
	receiver := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !webhooksig.Verify(body, r.Header.Get(webhooksig.Header), secret) {
			t.Errorf("bad signature on %s", body)
		}
		var env struct {
			Data struct {
				Tags []struct{ Value string }
			}
		}
		json.Unmarshal(body, &env)
		mu.Lock()
		steps = append(steps, env.Data.Tags[0].Value)
		mu.Unlock()
	}))
	receiver.Listener.Close()
	if receiver.Listener, err = net.Listen("tcp", hookAddr); err != nil {
		t.Fatal(err)
	}
	receiver.Start()
	defer receiver.Close()

	startServer(t, dsn)
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		got := strings.Join(steps, "")
		mu.Unlock()
		if len(got) >= n {
			if got != "01234" {
				t.Fatalf("delivered %q, want every step once, in order", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart only %q was delivered", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestWebhooksAddIsCapped checks the CLI's error when a tenant has as many endpoints as
// --webhook-max-endpoints allows, and for a value that is not a number.
func TestWebhooksAddIsCapped(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
	ctx := context.Background()
	newTestKey(t, dsn, "acme")
	add := func(extra ...string) error {
		args := append([]string{"webhooks", "add", "--tenant", "acme", "--url", "https://hooks.example.com/v", "--db", dsn}, extra...)
		return run(ctx, args, io.Discard, io.Discard, nil)
	}
	for range 2 {
		if err := add("--webhook-max-endpoints", "2"); err != nil {
			t.Fatal(err)
		}
	}
	err := add("--webhook-max-endpoints", "2")
	if err == nil || !strings.Contains(err.Error(), "already has 2 webhook endpoints") {
		t.Fatalf("a third endpoint with a bound of 2: %v", err)
	}
	if err := add("--webhook-max-endpoints", "0"); err != nil {
		t.Fatalf("with no bound: %v", err)
	}
	if err := add("--webhook-max-endpoints", "ten"); err == nil || !strings.Contains(err.Error(), "not a whole number") {
		t.Fatalf("a bound that is not a number: %v", err)
	}
	t.Setenv("VIGIL_WEBHOOK_MAX_ENDPOINTS", "3")
	if err := add(); err == nil || !strings.Contains(err.Error(), "already has 3") {
		t.Fatalf("VIGIL_WEBHOOK_MAX_ENDPOINTS=3 with 3 endpoints: %v", err)
	}
}
