package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
)

// runMainEnv makes the test binary behave as the vigil command, so tests can start real server
// processes (race-enabled when the tests are).
const runMainEnv = "VIGIL_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serverProcess is a `vigil serve` child process.
type serverProcess struct {
	base string
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

// startServer starts `vigil serve` on dsn, with flags added to the command line, and waits until
// it is healthy.
func startServer(t *testing.T, dsn string, flags ...string) *serverProcess {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &serverProcess{base: "http://" + addr, logs: &bytes.Buffer{}}
	// The tests' webhook receivers listen on loopback.
	p.cmd = exec.Command(os.Args[0], append([]string{"serve", "--listen", addr, "--db", dsn, "--webhook-first-retry", "100ms",
		"--webhook-allow", "127.0.0.0/8"}, flags...)...)
	p.cmd.Env = append(os.Environ(), runMainEnv+"=1")
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Signal(os.Interrupt)
		p.cmd.Wait()
		if t.Failed() {
			t.Logf("server %s output:\n%s", addr, p.logs)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s did not become healthy: %v\n%s", addr, err, p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ackedEvent is an event a server answered 201.
type ackedEvent struct {
	ts    int64
	state string
	tag   string
}

// TestTwoProcessesOnePostgres hammers two server processes on one PostgreSQL database with
// concurrent, out-of-order events for the same few users, then checks that no acknowledged event
// was lost, that every profile is the fold of its history in timestamp order, and that the two
// processes' sealers made one audit chain that verifies, with one record per change.
func TestTwoProcessesOnePostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	if dsn == "" {
		t.Skipf("needs PostgreSQL: set %s", storetest.PostgresEnv)
	}
	key := newTestKey(t, dsn, "multi")
	sealNow(t, dsn)
	before := verifiedHead(t, dsn, "multi") // the tenant's, its rules' and its key's records
	servers := []*serverProcess{startServer(t, dsn), startServer(t, dsn)}

	client := &http.Client{Timeout: 30 * time.Second}
	post := func(base, path, body string) (int, []byte, error) {
		return apiCall(client, http.MethodPost, base+path, key, body)
	}

	const users, workers, eventsPerWorker = 6, 16, 60
	for i := range users {
		// Both processes race to create every user: one creates, the other is told it exists.
		for _, s := range servers {
			body := fmt.Sprintf(`{"userId":"u%d","createdTimestamp":1700000000000,"userStateDetails":{"state":"CREATED"}}`, i)
			if code, data, err := post(s.base, "/consumer/users", body); err != nil || code != http.StatusCreated {
				t.Fatalf("create u%d: %d %s %v", i, code, data, err)
			}
		}
	}
	states := []string{"ACTIVE", "SUSPENDED", "BLOCKED", "DORMANT", "TERMINATED"}
	var mu sync.Mutex
	acked := make([][]ackedEvent, users)
	var seq atomic.Uint32
	var failures atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			server := servers[w%len(servers)]
			for range eventsPerWorker {
				n := seq.Add(1)
				// A bijection on uint32 scatters timestamps: many events arrive late.
				ts := 1700000000000 + int64(n*2654435761)
				user := rng.IntN(users)
				ev := ackedEvent{ts: ts, state: states[rng.IntN(len(states))], tag: fmt.Sprint("t", n)}
				body := fmt.Sprintf(`{"eventId":"e%d","userId":"u%d","timestamp":%d,"updatedConsumerUserAttributes":{"userStateDetails":{"state":%q},"tags":[{"key":%q,"value":"x"}]}}`,
					n, user, ts, ev.state, ev.tag)
				code, data, err := post(server.base, "/events/consumer/user", body)
				if err != nil || code != http.StatusCreated {
					if failures.Add(1) < 5 {
						t.Errorf("event %d: %d %s %v", n, code, data, err)
					}
					continue
				}
				mu.Lock()
				acked[user] = append(acked[user], ev)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d events failed", failures.Load())
	}

	for i := range users {
		var profiles []string
		for _, s := range servers {
			_, data, err := apiCall(client, http.MethodGet, fmt.Sprintf("%s/consumer/users/u%d", s.base, i), key, "")
			if err != nil {
				t.Fatal(err)
			}
			profiles = append(profiles, string(data))
		}
		if profiles[0] != profiles[1] {
			t.Fatalf("u%d differs between the processes:\n%s\n%s", i, profiles[0], profiles[1])
		}
		var p struct {
			UserStateDetails struct{ State string } `json:"userStateDetails"`
			Tags             []struct{ Key string } `json:"tags"`
		}
		if err := json.Unmarshal([]byte(profiles[0]), &p); err != nil {
			t.Fatal(err)
		}
		want := "CREATED"
		var latest int64
		tags := map[string]bool{}
		for _, e := range acked[i] {
			if e.ts > latest {
				latest, want = e.ts, e.state
			}
			tags[e.tag] = true
		}
		if p.UserStateDetails.State != want {
			t.Errorf("u%d state = %s, want %s (the state of its latest event by timestamp)", i, p.UserStateDetails.State, want)
		}
		if len(p.Tags) != len(tags) {
			t.Errorf("u%d has %d tags, want %d: an acknowledged event was lost", i, len(p.Tags), len(tags))
		}
		for _, tag := range p.Tags {
			if !tags[tag.Key] {
				t.Errorf("u%d has tag %s that no acknowledged event set", i, tag.Key)
			}
		}
	}

	// A clean shutdown seals what is left; the chain holds the creates and every acknowledged
	// event, each once, sealed by whichever process got to it.
	for _, s := range servers {
		s.stop()
	}
	events := 0
	for _, a := range acked {
		events += len(a)
	}
	if head := verifiedHead(t, dsn, "multi"); head != before+users+int64(events) {
		t.Fatalf("audit chain head %d, want %d: %d records before, %d creates and %d events", head,
			before+users+int64(events), before, users, events)
	}
}

// stop shuts the server down cleanly and waits for it to exit.
func (p *serverProcess) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
}
