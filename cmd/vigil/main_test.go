package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeEndToEnd runs the real command: keys create, then serve on a free port, then a
// create, an event and a read over HTTP, then a graceful shutdown.
func TestServeEndToEnd(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
	ctx := context.Background()

	key := newTestKey(t, dsn, "e2e")

	serveCtx, stop := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var serveOut bytes.Buffer
	go func() {
		done <- run(serveCtx, []string{"serve", "--listen", "127.0.0.1:0", "--db", dsn}, &serveOut, io.Discard, ready)
	}()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	if strings.Contains(serveOut.String(), "vgl_") {
		t.Fatalf("serve printed a new key although one existed: %s", serveOut.String())
	}

	call := func(method, path, body string, want int) {
		t.Helper()
		status, data, err := apiCall(http.DefaultClient, method, base+path, key, body)
		if err != nil {
			t.Fatal(err)
		}
		if status != want {
			t.Fatalf("%s %s = %d %s, want %d", method, path, status, data, want)
		}
	}
	call("GET", "/healthz", "", 200)
	call("POST", "/consumer/users", `{"userId":"u1","createdTimestamp":1700000000000}`, 201)
	call("POST", "/events/consumer/user", `{"userId":"u1","timestamp":1700000000001,"updatedConsumerUserAttributes":{"occupation":"pilot"}}`, 201)
	call("GET", "/consumer/users/u1", "", 200)

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// TestFirstStartCreatesDefaultKey checks that a first start on an empty database prints a key.
func TestFirstStartCreatesDefaultKey(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
	ctx, stop := context.WithCancel(context.Background())
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
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `tenant "default"`) || !strings.Contains(out.String(), "vgl_") || !strings.Contains(out.String(), "x-api-key") {
		t.Fatalf("first start printed %q; want the default tenant's key and how to use it", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"keys"}, {"keys", "create"}, {"serve", "--db", "mysql://x"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard, nil); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
}

func TestRiskCommands(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "vigil.db")
	ctx := context.Background()
	var model bytes.Buffer
	if err := run(ctx, []string{"risk", "default"}, &model, io.Discard, nil); err != nil || !strings.Contains(model.String(), "fatfCallForAction") {
		t.Fatalf("risk default: %v", err)
	}
	file := filepath.Join(dir, "model.yaml")
	if err := os.WriteFile(file, bytes.Replace(model.Bytes(), []byte("name: vigil-default"), []byte("name: ours"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"risk", "apply", "--tenant", "acme", "--file", file, "--db", dsn}, io.Discard, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "No tenant named") {
		t.Fatalf("apply to a missing tenant: %v", err)
	}
	newTestKey(t, dsn, "acme")
	var out bytes.Buffer
	if err := run(ctx, []string{"risk", "apply", "--tenant", "acme", "--file", file, "--db", dsn}, &out, io.Discard, nil); err != nil || !strings.Contains(out.String(), "applied") {
		t.Fatalf("risk apply: %v %s", err, out.String())
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, bytes.ReplaceAll(model.Bytes(), []byte("weight: 3"), []byte("weight: 0")), 0o600)
	err := run(ctx, []string{"risk", "apply", "--tenant", "acme", "--file", bad, "--db", dsn}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "weight: must be above 0") {
		t.Fatalf("invalid model: %v", err)
	}
}

func TestRulesCommands(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "vigil.db")
	ctx := context.Background()
	var lib bytes.Buffer
	if err := run(ctx, []string{"rules", "library"}, &lib, io.Discard, nil); err != nil || !strings.Contains(lib.String(), "R-U1.1") {
		t.Fatalf("rules library: %v", err)
	}
	newTestKey(t, dsn, "acme")
	file := filepath.Join(dir, "rules.yaml")
	os.WriteFile(file, []byte("- ruleId: RC-1\n  ruleInstanceId: RC-1.1\n  ruleName: Pilots\n  ruleDescription: d\n  ruleAction: FLAG\n  expression: user.occupation == 'pilot'\n"), 0o600)
	var out bytes.Buffer
	if err := run(ctx, []string{"rules", "apply", "--tenant", "acme", "--file", file, "--db", dsn}, &out, io.Discard, nil); err != nil || !strings.Contains(out.String(), "1 rules") {
		t.Fatalf("rules apply: %v %s", err, out.String())
	}
	os.WriteFile(file, []byte("- ruleId: RC-2\n  ruleInstanceId: RC-2.1\n  ruleName: Broken\n  ruleDescription: d\n  ruleAction: FLAG\n  expression: 'user.occupation =='\n"), 0o600)
	err := run(ctx, []string{"rules", "apply", "--tenant", "acme", "--file", file, "--db", dsn}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "expression: line 1, column") {
		t.Fatalf("a rule that does not compile: %v", err)
	}
}

func TestImport(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "vigil.db")
	ctx := context.Background()
	newTestKey(t, dsn, "acme")
	users := filepath.Join(dir, "users.jsonl")
	var lines []string
	for i := range 25 {
		lines = append(lines, fmt.Sprintf(`{"userId":"u%d","createdTimestamp":1700000000000}`, i))
	}
	lines = append(lines, `{"userId":"bad","createdTimestamp":1}`, `not json`, ``)
	os.WriteFile(users, []byte(strings.Join(lines, "\n")), 0o600)
	var out bytes.Buffer
	args := []string{"import", "--tenant", "acme", "--kind", "consumer-users", "--batch-size", "10", "--db", dsn, users}
	// Any failed record fails the command (a script must not read a partial import as done).
	if err := run(ctx, args, &out, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "2 of 27 records failed") {
		t.Fatalf("import with failed records: %v, want an error counting them", err)
	}
	for _, want := range []string{"27 records, 25 successful, 2 failed",
		"line 26 (bad): VALIDATION_ERROR: createdTimestamp: ", // the reason, with its field path
		"line 27: malformed JSON"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("summary lacks %q:\n%s", want, out.String())
		}
	}
	// Running the same import again replays every batch: nothing fails as "exists".
	out.Reset()
	if err := run(ctx, args, &out, io.Discard, nil); err == nil || !strings.Contains(out.String(), "25 successful, 2 failed") {
		t.Fatalf("second run: %v %s", err, out.String())
	}
	good := filepath.Join(dir, "good.jsonl")
	os.WriteFile(good, []byte(strings.ReplaceAll(strings.Join(lines[:25], "\n"), `":"u`, `":"g`)), 0o600)
	if err := run(ctx, []string{"import", "--tenant", "acme", "--kind", "consumer-users", "--db", dsn, good}, io.Discard, io.Discard, nil); err != nil {
		t.Fatalf("an import without failures: %v", err)
	}
	err := run(ctx, []string{"import", "--tenant", "acme", "--kind", "users", users}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown --kind "users"`) ||
		!strings.Contains(err.Error(), "business-events, business-users, consumer-events, consumer-users") {
		t.Fatalf("an unknown kind: %v, want it named with the valid ones", err)
	}
}

func TestWebhooksCommands(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
	ctx := context.Background()
	newTestKey(t, dsn, "acme")
	var out bytes.Buffer
	if err := run(ctx, []string{"webhooks", "add", "--tenant", "acme", "--url", "https://hooks.example.com/v", "--events", "USER_STATE_UPDATED", "--db", dsn}, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	secret := lastLine(out.String())
	id := strings.Fields(out.String())[2]
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("add printed %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"webhooks", "list", "--tenant", "acme", "--db", dsn}, &out, io.Discard, nil); err != nil || !strings.Contains(out.String(), id) || strings.Contains(out.String(), secret) {
		t.Fatalf("list: %v %s (secrets must not be listed)", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"webhooks", "rotate", "--tenant", "acme", "--id", id, "--db", dsn}, &out, io.Discard, nil); err != nil || lastLine(out.String()) == secret {
		t.Fatalf("rotate: %v %s", err, out.String())
	}
	if err := run(ctx, []string{"webhooks", "deliveries", "--tenant", "acme", "--id", id, "--db", dsn}, io.Discard, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"webhooks", "add", "--tenant", "acme", "--url", "ftp://x", "--db", dsn}, io.Discard, io.Discard, nil); err == nil {
		t.Fatal("an ftp URL was accepted")
	}
	if err := run(ctx, []string{"webhooks", "remove", "--tenant", "acme", "--id", id, "--db", dsn}, io.Discard, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"webhooks", "remove", "--tenant", "acme", "--id", id, "--db", dsn}, io.Discard, io.Discard, nil); err == nil {
		t.Fatal("removing twice succeeded")
	}
}
