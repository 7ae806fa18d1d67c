package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
)

// The limits the attack tests serve with: short, so that the tests wait seconds, not minutes.
var attackFlags = []string{"--read-header-timeout", "2s", "--read-timeout", "3s", "--idle-timeout", "2s",
	"--max-conns", "300"}

// peakMemoryBudget is the most resident memory a `vigil serve` under attack may ever have held.
const peakMemoryBudget = 1 << 30

// promptly is how long another tenant's write may take while the server is attacked: generous
// for a race-enabled binary on a shared 2-core machine, far below any timeout being tested.
const promptly = 10 * time.Second

// attackedServer starts a SQLite server with attackFlags (and extra) and keys for an attacking
// and a bystanding tenant.
func attackedServer(t *testing.T, extra ...string) (p *serverProcess, attacker, bystander string) {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
	attacker, bystander = newTestKey(t, dsn, "attacker"), newTestKey(t, dsn, "bystander")
	return startServer(t, dsn, append(append([]string(nil), attackFlags...), extra...)...), attacker, bystander
}

// peakMemory reads the peak resident memory (VmHWM) of a process.
func peakMemory(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("the server process is gone: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// checkStillServing checks that the process is up, its peak memory within budget, and that
// another tenant's writes are answered 201 promptly.
func checkStillServing(t *testing.T, p *serverProcess, key, tag string) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the server process is down: %v", err)
	}
	if peak := peakMemory(t, p.cmd.Process.Pid); peak > peakMemoryBudget {
		t.Errorf("peak memory %d MiB, over the budget of %d MiB", peak>>20, peakMemoryBudget>>20)
	} else {
		t.Logf("peak memory %d MiB", peak>>20)
	}
	client := &http.Client{Timeout: promptly}
	defer client.CloseIdleConnections()
	for i := range 5 {
		start := time.Now()
		body := fmt.Sprintf(`{"userId":"%s-%d","createdTimestamp":1700000000000}`, tag, i)
		code, data, err := apiCall(client, http.MethodPost, p.base+"/consumer/users", key, body)
		if err != nil || code != http.StatusCreated {
			t.Fatalf("another tenant's write during the attack: %d %s %v", code, data, err)
		}
		if d := time.Since(start); d > promptly {
			t.Errorf("another tenant's write took %s", d)
		}
	}
}

// hostileConns are connections an attacker holds open, each writing prefix once and then drip
// every interval, until the server closes it.
type hostileConns struct {
	start  time.Time
	wg     sync.WaitGroup
	closed atomic.Int64
	// latest is the latest a connection was closed, in nanoseconds after start.
	latest atomic.Int64
}

func openHostile(t *testing.T, addr string, n int, prefix, drip string, interval time.Duration) *hostileConns {
	t.Helper()
	h := &hostileConns{start: time.Now()}
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", h.closed.Load(), err)
		}
		t.Cleanup(func() { c.Close() })
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			done := make(chan struct{})
			go func() {
				defer close(done)
				io.Copy(io.Discard, c) // returns once the server closes the connection
			}()
			c.Write([]byte(prefix))
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-done:
					h.closed.Add(1)
					for at := int64(time.Since(h.start)); ; {
						prev := h.latest.Load()
						if at <= prev || h.latest.CompareAndSwap(prev, at) {
							break
						}
					}
					return
				case <-tick.C:
					if drip != "" {
						c.Write([]byte(drip))
					}
				}
			}
		}()
	}
	return h
}

// waitClosed waits until the server closed every connection, at most within.
func (h *hostileConns) waitClosed(t *testing.T, n int, within time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		t.Logf("the server closed all %d connections, the last %s after they opened", n, time.Duration(h.latest.Load()).Round(time.Millisecond))
	case <-time.After(within):
		t.Fatalf("the server closed %d of %d hostile connections within %s", h.closed.Load(), n, within)
	}
}

// TestSlowHeaders (slowloris): connections that send their headers a line at a time are closed
// once --read-header-timeout passes, while other tenants are served.
func TestSlowHeaders(t *testing.T) {
	p, attacker, bystander := attackedServer(t)
	const n = 200
	h := openHostile(t, strings.TrimPrefix(p.base, "http://"), n,
		"POST /consumer/users HTTP/1.1\r\nHost: vigil\r\nx-api-key: "+attacker+"\r\n", "X-Slow: 1\r\n", 300*time.Millisecond)
	checkStillServing(t, p, bystander, "slowloris")
	h.waitClosed(t, n, 2*time.Second+promptly)
	checkStillServing(t, p, bystander, "after-slowloris")
}

// TestTrickledBody: requests whose body arrives a few bytes at a time are cut off once
// --read-timeout passes, while other tenants are served.
func TestTrickledBody(t *testing.T) {
	p, attacker, bystander := attackedServer(t)
	const n = 100
	for _, path := range []string{"/consumer/users", "/batch/consumer/users"} {
		h := openHostile(t, strings.TrimPrefix(p.base, "http://"), n,
			"POST "+path+" HTTP/1.1\r\nHost: vigil\r\nx-api-key: "+attacker+"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
			`"a":1,`, 200*time.Millisecond)
		checkStillServing(t, p, bystander, "trickle"+strings.ReplaceAll(path, "/", "-"))
		h.waitClosed(t, n, 3*time.Second+promptly)
	}
	checkStillServing(t, p, bystander, "after-trickle")
}

// TestIdleConnections: connections beyond --max-conns that hold still, whether silent from the
// start or idle after a request, neither lock other clients out (the longest-idle one is closed
// to make room) nor stay open past the idle and header timeouts.
func TestIdleConnections(t *testing.T) {
	p, _, bystander := attackedServer(t)
	addr := strings.TrimPrefix(p.base, "http://")
	const n = 400 // of each kind: together more than twice --max-conns
	silent := openHostile(t, addr, n, "", "", time.Hour)
	idle := openHostile(t, addr, n, "GET /healthz HTTP/1.1\r\nHost: vigil\r\n\r\n", "", time.Hour)
	checkStillServing(t, p, bystander, "idle")
	silent.waitClosed(t, n, 2*time.Second+promptly)
	idle.waitClosed(t, n, 2*time.Second+promptly)
	checkStillServing(t, p, bystander, "after-idle")
}

// overloadAnswer is one answer to a write of a burst.
type overloadAnswer struct {
	userID     string
	code       int
	body       []byte
	retryAfter string
	err        error
}

// burst sends n concurrent user creates and returns every answer.
func burst(base, key, tag string, n int) []overloadAnswer {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer client.CloseIdleConnections()
	answers := make([]overloadAnswer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &answers[i]
			a.userID = fmt.Sprintf("%s-%d", tag, i)
			req, err := http.NewRequest(http.MethodPost, base+"/consumer/users",
				strings.NewReader(fmt.Sprintf(`{"userId":%q,"createdTimestamp":1700000000000}`, a.userID)))
			if err != nil {
				a.err = err
				return
			}
			req.Header.Set("x-api-key", key)
			<-start
			res, err := client.Do(req)
			if err != nil {
				a.err = err
				return
			}
			defer res.Body.Close()
			a.code, a.retryAfter = res.StatusCode, res.Header.Get("Retry-After")
			a.body, a.err = io.ReadAll(res.Body)
		}()
	}
	close(start)
	wg.Wait()
	return answers
}

// TestFullWriteQueue: a burst of writes far over the write queue's bound (SQLite's queue, or
// PostgreSQL's pool) is partly refused: 503 with Retry-After in the error shape, never a 500,
// and every write answered 201 is durable and readable. The server stays up, within memory, and
// serves again once the burst is over.
func TestFullWriteQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		dsn := b.DSN(t)
		// SQLite refuses the burst by its queue of two; the wait only has to outlast the
		// writer's longest unit (the term indexer's for the users just created, say), so that
		// a lone write after the burst is taken: under the race detector on a loaded CI
		// machine a 50 ms wait once refused one.
		flags := []string{"--write-queue", "2", "--write-wait", "500ms"}
		if b.Name == "postgres" {
			// Long enough that the dispatcher's or the sealer's short queries on the same two
			// connections do not turn a lone write after the burst into a 503, far too short
			// for a burst of 150 to get through.
			dsn += "&pool_max_conns=2"
			flags = []string{"--pg-acquire-timeout", "50ms"}
		}
		attacker, bystander := newTestKey(t, dsn, "attacker"), newTestKey(t, dsn, "bystander")
		p := startServer(t, dsn, flags...)
		var created, refused int
		for round := range 3 {
			for _, a := range burst(p.base, attacker, fmt.Sprint("r", round), 150) {
				switch {
				case a.err != nil:
					t.Fatalf("%s: %v", a.userID, a.err)
				case a.code == http.StatusCreated:
					created++
					code, data, err := apiCall(http.DefaultClient, http.MethodGet, p.base+"/consumer/users/"+a.userID, attacker, "")
					if err != nil || code != http.StatusOK {
						t.Fatalf("%s was answered 201 but reads %d %s %v", a.userID, code, data, err)
					}
				case a.code == http.StatusServiceUnavailable:
					refused++
					var body map[string]any
					if err := json.Unmarshal(a.body, &body); err != nil || len(body) != 1 || body["message"] == "" {
						t.Fatalf("%s: 503 body %s is not {\"message\": ...}", a.userID, a.body)
					}
					if n, err := strconv.Atoi(a.retryAfter); err != nil || n < 1 {
						t.Fatalf("%s: 503 with Retry-After %q", a.userID, a.retryAfter)
					}
					code, data, err := apiCall(http.DefaultClient, http.MethodGet, p.base+"/consumer/users/"+a.userID, attacker, "")
					if err != nil || code != http.StatusNotFound {
						t.Fatalf("%s was answered 503 but reads %d %s %v", a.userID, code, data, err)
					}
				default:
					t.Fatalf("%s: %d %s, want 201 or 503", a.userID, a.code, a.body)
				}
			}
		}
		t.Logf("%d created, %d refused with 503", created, refused)
		if refused == 0 || created == 0 {
			t.Fatalf("%d created and %d refused: the bound was not hit, or nothing got through", created, refused)
		}
		checkStillServing(t, p, bystander, "after-burst")
	})
}

// TestSIGTERMUnderLoad: a server busy with writes, queued work and hostile connections stops
// within 20 s of SIGTERM, and every write it answered 201 is there after a restart. It serves
// with the default timeouts, so the hostile connections outlast the grace period given to
// requests in flight.
func TestSIGTERMUnderLoad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		dsn := b.DSN(t)
		key := newTestKey(t, dsn, "load")
		p := startServer(t, dsn)
		addr := strings.TrimPrefix(p.base, "http://")
		openHostile(t, addr, 50, "POST /consumer/users HTTP/1.1\r\nHost: vigil\r\nx-api-key: "+key+"\r\n", "X-Slow: 1\r\n", 300*time.Millisecond)
		openHostile(t, addr, 50, "POST /consumer/users HTTP/1.1\r\nHost: vigil\r\nx-api-key: "+key+"\r\nContent-Length: 100000\r\n\r\n{",
			`"a":1,`, 200*time.Millisecond)

		var mu sync.Mutex
		var acked []string
		stop := make(chan struct{})
		var wg sync.WaitGroup
		client := &http.Client{Timeout: time.Minute}
		for w := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					id := fmt.Sprintf("w%d-%d", w, i)
					code, _, err := apiCall(client, http.MethodPost, p.base+"/consumer/users", key,
						fmt.Sprintf(`{"userId":%q,"createdTimestamp":1700000000000}`, id))
					if err != nil {
						return // the server stopped
					}
					if code == http.StatusCreated {
						mu.Lock()
						acked = append(acked, id)
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(2 * time.Second)
		start := time.Now()
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- p.cmd.Wait() }()
		select {
		case err := <-exited:
			t.Logf("stopped %s after SIGTERM (%v)", time.Since(start).Round(time.Millisecond), err)
		case <-time.After(20 * time.Second):
			t.Fatalf("still running 20 s after SIGTERM")
		}
		close(stop)
		wg.Wait()
		if len(acked) == 0 {
			t.Fatal("no write was acknowledged before SIGTERM")
		}

		restarted := startServer(t, dsn)
		for _, id := range acked {
			code, data, err := apiCall(http.DefaultClient, http.MethodGet, restarted.base+"/consumer/users/"+id, key, "")
			if err != nil || code != http.StatusOK {
				t.Fatalf("%s was answered 201 before SIGTERM but reads %d %s %v after a restart", id, code, data, err)
			}
		}
		t.Logf("%d acknowledged writes, all present after the restart", len(acked))
	})
}
