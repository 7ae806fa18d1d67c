package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
)

// ruleBombs are tenant rules that took the whole server down before rules had budgets (issue
// 19): an unbounded string, nested loops of billions of iterations, a range of 10^8 elements.
// Each is refused when it is put (refused true) or fails by its budget on every write.
var ruleBombs = []struct {
	name, rule string
	refused    bool
}{
	{"string doubling with reduce", `"expression": "len(reduce(1..40, #acc + #acc, \"xxxxxxxx\")) > 0"`, false},
	{"nested repeat", `"expression": "len(repeat(repeat(\"x\", 100000), 100000)) > 0"`, false},
	{"three nested ranges", `"expression": "any(1..2000, any(1..2000, any(1..2000, false)))"`, false},
	{"three nested ranges of a variable", `"expression": "let r = 1..2000; any(r, any(r, any(r, false)))"`, false},
	{"a constant range of 10^8", `"expression": "len(1..100000000) > 0"`, true},
	{"a range of 10^8 from a parameter", `"expression": "len(1..params.n) > 0", "parameters": {"n": 100000000}`, false},
	{"eight nested macros", `"expression": "let l = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]; any(l, all(l, any(l, len(map(l, len(filter(l, any(l, all(l, any(l, false))))) > 0)) < 0)))"`, false},
}

// TestRuleBombsCannotTakeTheServerDown puts each bomb as tenant A's rule on a real server
// process and writes users of tenants A and B: the process stays up with its peak memory under
// 1 GiB, both tenants' writes answer in time without a 5xx, the failure is reported, and
// SIGTERM still stops the process.
func TestRuleBombsCannotTakeTheServerDown(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the server's peak memory")
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		dsn := b.DSN(t)
		keyA, keyB := newTestKey(t, dsn, "tenant-a"), newTestKey(t, dsn, "tenant-b")
		server := startServer(t, dsn)
		client := &http.Client{Timeout: 30 * time.Second}
		call := func(method, key, path, body string) (int, []byte, time.Duration) {
			t.Helper()
			start := time.Now()
			code, data, err := apiCall(client, method, server.base+path, key, body)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			return code, data, time.Since(start)
		}
		for i, key := range []string{keyA, keyB} {
			body := fmt.Sprintf(`{"userId":"u%d","createdTimestamp":1700000000000}`, i)
			if code, data, _ := call("POST", key, "/consumer/users", body); code != http.StatusCreated {
				t.Fatalf("create: %d %s", code, data)
			}
		}

		const bound = 5 * time.Second // generous: the rules' budget is 50 ms of CPU per write
		ts := int64(1700000001000)
		for _, bomb := range ruleBombs {
			rule := `{"ruleId": "RC-1", "ruleName": "Bomb", "ruleDescription": "` + bomb.name + `", "ruleAction": "BLOCK", ` + bomb.rule + `}`
			code, data, _ := call("PUT", keyA, "/rules/RC-1.1", rule)
			if bomb.refused {
				if code != http.StatusBadRequest || !strings.Contains(string(data), "line 1, column") {
					t.Errorf("%s: PUT answered %d %s, want a 400 with the position", bomb.name, code, data)
				}
				continue
			}
			if code != http.StatusOK {
				t.Fatalf("%s: PUT answered %d %s", bomb.name, code, data)
			}
			// Tenant A's write (which runs the bomb) and tenant B's, at the same time.
			var wg sync.WaitGroup
			for i, key := range []string{keyA, keyB} {
				ts++
				body := fmt.Sprintf(`{"userId":"u%d","timestamp":%d,"updatedConsumerUserAttributes":{"occupation":"pilot %d"}}`, i, ts, ts)
				wg.Add(1)
				go func() {
					defer wg.Done()
					code, data, took := call("POST", key, "/events/consumer/user", body)
					if code >= 500 || took > bound {
						t.Errorf("%s: tenant %d's event answered %d in %v: %s", bomb.name, i, code, took, data)
					}
					if code == http.StatusCreated && strings.Contains(string(data), `"RC-1.1"`) && strings.Contains(string(data), `"status":"BLOCK"`) {
						t.Errorf("%s: the bomb hit: %s", bomb.name, data)
					}
				}()
			}
			wg.Wait()
			_, data, _ = call("GET", keyA, "/rules/RC-1.1", "")
			var got struct {
				Failures struct {
					Count      int    `json:"count"`
					LastReason string `json:"lastReason"`
				} `json:"failures"`
			}
			if err := json.Unmarshal(data, &got); err != nil || got.Failures.Count == 0 ||
				(got.Failures.LastReason != "time" && got.Failures.LastReason != "memory") {
				t.Errorf("%s: GET /rules/RC-1.1 = %s, want its budget failures", bomb.name, data)
			}
		}

		if err := server.cmd.Process.Signal(syscall.Signal(0)); err != nil {
			t.Fatalf("the server is gone: %v", err)
		}
		if hwm := peakMemory(t, server.cmd.Process.Pid); hwm > 1<<30 {
			t.Errorf("the server's peak memory is %d MiB", hwm>>20)
		} else {
			t.Logf("peak memory (VmHWM) %d MiB", hwm>>20)
		}
		_, metrics, _ := call("GET", keyA, "/metrics", "")
		if !strings.Contains(string(metrics), `vigil_rule_failures_total{reason="time"}`) {
			t.Errorf("no time failures in the metrics")
		}
		start := time.Now()
		if err := server.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- server.cmd.Wait() }()
		select {
		case <-done:
			t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
		case <-time.After(20 * time.Second):
			server.cmd.Process.Kill()
			t.Fatal("the server did not stop within 20 s of SIGTERM")
		}
	})
}
