package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
)

// runCLI runs the real vigil binary (this test binary as main) and returns its output.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestTenantsLimitCommand(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/vigil.db"
	newTestKey(t, dsn, "acme")
	steps := []struct {
		args    []string
		wantErr bool
		want    string
	}{
		{[]string{"--tenant", "acme"}, false, "no rate limit of its own"},
		{[]string{"--tenant", "acme", "--rps", "5", "--burst", "10"}, false, "5 requests/s, burst 10"},
		{[]string{"--tenant", "acme"}, false, "5 requests/s, burst 10"},
		{[]string{"--tenant", "acme", "--rps", "2.5"}, false, "2.5 requests/s, burst 3"},
		{[]string{"--tenant", "acme", "--rps", "0"}, false, "no limit"},
		{[]string{"--tenant", "acme"}, false, `"acme": no limit`},
		{[]string{"--tenant", "acme", "--clear"}, false, "no rate limit of its own"},
		{[]string{"--tenant", "acme"}, false, "no rate limit of its own"},
		{[]string{"--rps", "5"}, true, "--tenant is required"},
		{[]string{"--tenant", "nobody", "--rps", "5"}, true, `No tenant named "nobody"`},
		{[]string{"--tenant", "acme", "--rps", "-1"}, true, "rps: must be a number from 0"},
		{[]string{"--tenant", "acme", "--rps", "lots"}, true, "invalid value"},
		{[]string{"--tenant", "acme", "--burst", "3"}, true, "--burst needs --rps"},
		{[]string{"--tenant", "acme", "--clear", "--rps", "3"}, true, "--clear takes no --rps"},
		{[]string{"--tenant", "acme"}, false, "no rate limit of its own"}, // the refused ones wrote nothing
	}
	for _, step := range steps {
		// In process, for speed: TestRateLimitChangeReachesServers runs the command as a binary.
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"tenants", "limit", "--db", dsn}, step.args...), &stdout, &stderr, nil)
		out := stdout.String()
		if err != nil {
			out += err.Error()
		}
		if (err != nil) != step.wantErr || !strings.Contains(out, step.want) {
			t.Fatalf("vigil tenants limit %s: %v\n%s\nwant error %v and %q", strings.Join(step.args, " "), err, out, step.wantErr, step.want)
		}
	}
}

// waitForStatus sends requests to base as the key's tenant until some are refused (429) or, with
// refused false, none is, and returns how long that took; it fails the test after limit.
func waitForStatus(t *testing.T, client *http.Client, base, key string, refused bool, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		// Three at once: more than the burst of 1 the test sets, so a limit shows at once.
		got := false
		for range 3 {
			code, body, err := apiCall(client, http.MethodGet, base+"/rules", key, "")
			if err != nil || (code != http.StatusOK && code != http.StatusTooManyRequests) {
				t.Fatalf("GET /rules: %d %s %v", code, body, err)
			}
			got = got || code == http.StatusTooManyRequests
		}
		if got == refused {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("after %s the server still did not apply the change (want refusals: %v)", limit, refused)
	return 0
}

// TestRateLimitChangeReachesServers sets and clears a limit with the command line while servers
// run: on SQLite the one process, on PostgreSQL a second process, applies each change within 5 s.
func TestRateLimitChangeReachesServers(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.DSN(t)
			key := newTestKey(t, dsn, "flood")
			servers := []*serverProcess{startServer(t, dsn)}
			if b.Name == "postgres" {
				servers = append(servers, startServer(t, dsn))
			}
			probed := servers[len(servers)-1]
			client := &http.Client{Timeout: 10 * time.Second}
			waitForStatus(t, client, probed.base, key, false, time.Second)
			for _, change := range []struct {
				args    []string
				refused bool
			}{
				{[]string{"--rps", "0.5", "--burst", "1"}, true},
				{[]string{"--clear"}, false},
			} {
				if out, err := runCLI(t, append([]string{"tenants", "limit", "--db", dsn, "--tenant", "flood"}, change.args...)...); err != nil {
					t.Fatalf("%v: %v\n%s", change.args, err, out)
				}
				took := waitForStatus(t, client, probed.base, key, change.refused, 5*time.Second)
				t.Logf("%v applied within %s", change.args, took.Round(time.Millisecond))
			}
		})
	}
}

// TestFloodedServer floods one tenant far past the server's default limit while another tenant
// writes at 20 requests/s: the flood gets 429s with the rate limit fields and no 5xx, the other
// tenant's every write succeeds, and the server's peak memory stays under 1 GiB.
func TestFloodedServer(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/vigil.db"
	floodKey, calmKey := newTestKey(t, dsn, "flood"), newTestKey(t, dsn, "calm")
	// calm's own limit lifts the default; flood has none of its own, so the default holds it.
	if out, err := runCLI(t, "tenants", "limit", "--db", dsn, "--tenant", "calm", "--rps", "0"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// A low limit, so even a machine too busy to flood fast sends past it.
	const rps, burst, duration = 2, 5, 4 * time.Second
	server := startServer(t, dsn, "--tenant-rps", strconv.Itoa(rps), "--tenant-burst", strconv.Itoa(burst))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, key := range []string{floodKey, calmKey} {
		if code, body, err := apiCall(client, http.MethodPost, server.base+"/consumer/users", key,
			`{"userId":"u1","createdTimestamp":1700000000000}`); err != nil || code != http.StatusCreated {
			t.Fatalf("create u1: %d %s %v", code, body, err)
		}
	}
	event := func(n int64) string {
		return fmt.Sprintf(`{"eventId":"e%d","userId":"u1","timestamp":%d,"updatedConsumerUserAttributes":{"tags":[{"key":"k%d","value":"v"}]}}`,
			n, 1700000000000+n, n)
	}

	var statuses sync.Map // status -> *atomic.Int64
	var seq atomic.Int64
	count := func(code int) {
		c, _ := statuses.LoadOrStore(code, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
	}
	var badHeaders atomic.Int64
	stop := time.Now().Add(duration)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				req, _ := http.NewRequest(http.MethodPost, server.base+"/events/consumer/user", strings.NewReader(event(seq.Add(1))))
				req.Header.Set("x-api-key", floodKey)
				res, err := client.Do(req)
				if err != nil {
					count(0)
					continue
				}
				res.Body.Close()
				count(res.StatusCode)
				if res.StatusCode == http.StatusTooManyRequests && (res.Header.Get("Retry-After") == "" ||
					!strings.HasPrefix(res.Header.Get("RateLimit"), `"tenant";r=0;t=`) ||
					res.Header.Get("RateLimit-Policy") != fmt.Sprintf(`"tenant";q=%d;w=3`, burst)) {
					badHeaders.Add(1)
				}
			}
		}()
	}
	// The calm tenant: one write every 50 ms, each of which must succeed.
	var calmFailures []string
	start := time.Now()
	for i := 0; time.Now().Before(stop); i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * 50 * time.Millisecond)))
		code, body, err := apiCall(client, http.MethodPost, server.base+"/events/consumer/user", calmKey, event(seq.Add(1)))
		if err != nil || code != http.StatusCreated {
			calmFailures = append(calmFailures, fmt.Sprintf("%d %s %v", code, body, err))
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	got := map[int]int64{}
	statuses.Range(func(k, v any) bool { got[k.(int)] = v.(*atomic.Int64).Load(); return true })
	t.Logf("flood statuses %v over %s; calm failures %d", got, elapsed.Round(time.Millisecond), len(calmFailures))
	if len(calmFailures) > 0 {
		t.Errorf("the calm tenant's writes failed %d times, e.g. %s", len(calmFailures), calmFailures[0])
	}
	for code, n := range got {
		if code != http.StatusCreated && code != http.StatusTooManyRequests {
			t.Errorf("the flood got %d answers %d (transport error when 0)", n, code)
		}
	}
	if allowed := float64(got[http.StatusCreated]); allowed > burst+rps*elapsed.Seconds()+1 || allowed < burst {
		t.Errorf("the flood had %v writes accepted in %s; the default limit allows %d + %d/s", allowed, elapsed, burst, rps)
	}
	if got[http.StatusTooManyRequests] == 0 || badHeaders.Load() > 0 {
		t.Errorf("the flood got %d 429s, %d without the rate limit fields", got[http.StatusTooManyRequests], badHeaders.Load())
	}
	if peak := peakMemory(t, server.cmd.Process.Pid); peak >= 1<<30 {
		t.Errorf("the server's peak memory is %d MiB, want under 1 GiB", peak>>20)
	} else {
		t.Logf("server peak memory (VmHWM) %d MiB", peak>>20)
	}
}
