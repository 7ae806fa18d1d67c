// Command neighbors measures what other clients cost a well-behaved tenant. It builds Vigil,
// starts it on a fresh SQLite database, and has a "calm" tenant send user events at a constant
// rate (open loop: each at its intended time, its latency counted from that time) beside, in
// turn: nothing; slow connections that open and trickle a header line or a body byte now and
// then; a "flood" tenant sending events flat out past its rate limit; and both at once. For each
// it prints the calm tenant's errors and p50/p99/max latency, what the flood was answered, and
// at the end the server's peak memory.
//
//	go run ./bench/neighbors --duration 10s --slow 1000 --flood-rps 100
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-aml/vigil/bench/benchenv"
	"github.com/vigil-aml/vigil/bench/loadgen"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "length of each scenario's measured part")
	rate := flag.Int("rate", 20, "the calm tenant's requests per second")
	slow := flag.Int("slow", 1000, "slow connections")
	trickle := flag.Duration("trickle", time.Second, "how often a slow connection sends its next header line or body byte")
	floodConns := flag.Int("flood-concurrency", 32, "the flooding tenant's concurrent connections")
	floodRPS := flag.String("flood-rps", "100", "the flooding tenant's own rate limit (requests/s)")
	serveFlags := flag.String("serve-flags", "", "extra flags for vigil serve, space-separated")
	floodUsers := flag.Int("flood-users", 10, "users the flooding tenant's events go to")
	only := flag.String("only", "", "run only the scenarios whose names contain this")
	flag.Parse()

	dir, err := os.MkdirTemp("", "vigil-neighbors-")
	check(err)
	atExit(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "vigil")
	build := exec.Command("go", "build", "-o", bin, "./cmd/vigil")
	build.Dir, build.Stdout, build.Stderr = repoRoot(), os.Stderr, os.Stderr
	check(build.Run())
	dsn := "sqlite:" + filepath.Join(dir, "bench.db")
	keys := map[string]string{}
	for _, tenant := range []string{"calm", "flood", "slow"} {
		out, err := exec.Command(bin, "keys", "create", "--tenant", tenant, "--db", dsn).Output()
		check(err)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		keys[tenant] = lines[len(lines)-1]
	}
	check(exec.Command(bin, "tenants", "limit", "--tenant", "flood", "--rps", *floodRPS, "--db", dsn).Run())
	addr := freeAddr()
	server := exec.Command(bin, append([]string{"serve", "--listen", addr, "--db", dsn}, strings.Fields(*serveFlags)...)...)
	server.Dir = dir
	check(server.Start())
	atExit(func() { server.Process.Signal(os.Interrupt); server.Wait() })
	base := "http://" + addr
	waitHealthy(base)

	ctx := context.Background()
	calm := loadgen.Config{BaseURL: base, APIKey: keys["calm"], Users: 100, Run: "calm"}
	flood := loadgen.Config{BaseURL: base, APIKey: keys["flood"], Users: *floodUsers, Run: "flood"}
	check(loadgen.CreateUsers(ctx, calm))
	check(loadgen.CreateUsers(ctx, flood)) // a batch request per 1,000 users: within its limit

	fmt.Printf("calm tenant at %d requests/s for %s per scenario; %d slow connections (a line or byte every %s); flood: %d connections, limit %s/s\n\n",
		*rate, *duration, *slow, *trickle, *floodConns, *floodRPS)
	fmt.Printf("%-20s %5s %6s %8s %8s %8s %10s %10s   %s\n", "beside the calm one", "sent", "errors", "p50", "p99", "max", "server CPU", "bench CPU", "the others")
	var seq atomic.Int64
	for _, sc := range []struct {
		name        string
		slow, flood bool
	}{
		{"nothing", false, false},
		{"slow connections", true, false},
		{"a flooding tenant", false, true},
		{"both", true, true},
	} {
		if !strings.Contains(sc.name, *only) {
			continue
		}
		noiseCtx, stopNoise := context.WithCancel(ctx)
		var noise sync.WaitGroup
		var others []func() string
		if sc.slow {
			s := &slowConns{addr: addr, key: keys["slow"], every: *trickle}
			for i := range *slow {
				noise.Add(1)
				go func() { defer noise.Done(); s.hold(noiseCtx, i) }()
			}
			others = append(others, s.String)
		}
		if sc.flood {
			f := &flooder{cfg: flood, seq: &seq}
			for range *floodConns {
				noise.Add(1)
				go func() { defer noise.Done(); f.run(noiseCtx) }()
			}
			others = append(others, f.String)
		}
		time.Sleep(time.Second) // the noise gets going
		serverCPU, benchCPU := cpuTime(server.Process.Pid), cpuTime(os.Getpid())
		r := paced(ctx, calm, *rate, *duration, &seq)
		serverCPU, benchCPU = cpuTime(server.Process.Pid)-serverCPU, cpuTime(os.Getpid())-benchCPU
		stopNoise()
		noise.Wait()
		var notes []string
		for _, o := range others {
			notes = append(notes, o())
		}
		cores := func(d time.Duration) string { return fmt.Sprintf("%.2f cores", d.Seconds()/duration.Seconds()) }
		fmt.Printf("%-20s %5d %6d %8s %8s %8s %10s %10s   %s\n", sc.name, r.sent, r.errors, ms(r.p50), ms(r.p99), ms(r.max),
			cores(serverCPU), cores(benchCPU), strings.Join(notes, "; "))
		if r.firstError != "" {
			fmt.Printf("%20s first error: %s\n", "", r.firstError)
		}
	}
	fmt.Printf("\nserver peak memory (VmHWM): %s\n", peakMemory(server.Process.Pid))
	finish(0)
}

// pacedResult is what the calm tenant saw.
type pacedResult struct {
	sent, errors  int
	p50, p99, max time.Duration
	firstError    string
}

// paced sends rate events a second for d, each at its intended time whatever the answers to
// earlier ones, and measures each from that time.
func paced(ctx context.Context, cfg loadgen.Config, rate int, d time.Duration, seq *atomic.Int64) pacedResult {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	latencies := make([]time.Duration, n)
	failed := make([]string, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		intended := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(intended))
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, err := post(ctx, client, cfg, event(cfg.Run, int(seq.Add(1)), i%cfg.Users))
			latencies[i] = time.Since(intended)
			if err != nil || code != http.StatusCreated {
				failed[i] = fmt.Sprintf("status %d, %v", code, err)
			}
		}()
	}
	wg.Wait()
	r := pacedResult{sent: n}
	for _, f := range failed {
		if f != "" {
			if r.errors++; r.firstError == "" {
				r.firstError = f
			}
		}
	}
	slices.Sort(latencies)
	r.p50, r.p99, r.max = latencies[n/2], latencies[min(n-1, n*99/100)], latencies[n-1]
	return r
}

// event is a user event for one of a run's users: a state change and a tag.
func event(run string, n, user int) string {
	states := []string{"ACTIVE", "SUSPENDED", "DORMANT"}
	return fmt.Sprintf(`{"eventId":"%s-e%d","userId":"%s-%d","timestamp":%d,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"%s"},"tags":[{"key":"n","value":"%d"}]}}`,
		run, n, run, user, 1700000000000+int64(n), states[n%len(states)], n%10)
}

func post(ctx context.Context, client *http.Client, cfg loadgen.Config, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.BaseURL+"/events/consumer/user", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("x-api-key", cfg.APIKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// flooder sends a tenant's events flat out and counts the answers.
type flooder struct {
	cfg                      loadgen.Config
	seq                      *atomic.Int64
	created, limited, others atomic.Int64
}

func (f *flooder) run(ctx context.Context) {
	// A transport of its own: one kept-alive connection, as a client flooding would.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	for ctx.Err() == nil {
		n := int(f.seq.Add(1))
		code, err := post(ctx, client, f.cfg, event(f.cfg.Run, n, n%f.cfg.Users))
		switch {
		case ctx.Err() != nil:
		case err == nil && code == http.StatusCreated:
			f.created.Add(1)
		case err == nil && code == http.StatusTooManyRequests:
			f.limited.Add(1)
		default:
			f.others.Add(1)
		}
	}
}

func (f *flooder) String() string {
	return fmt.Sprintf("flood: %d created, %d refused 429, %d other", f.created.Load(), f.limited.Load(), f.others.Load())
}

// slowConns holds connections that send a request very slowly: even-numbered ones a header line
// at a time, odd ones complete headers and then a body byte at a time. A connection the server
// closes is opened again.
type slowConns struct {
	addr, key       string
	every           time.Duration
	opened, dropped atomic.Int64
}

func (s *slowConns) hold(ctx context.Context, i int) {
	for ctx.Err() == nil {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			s.dropped.Add(1)
			sleep(ctx, s.every)
			continue
		}
		s.opened.Add(1)
		head := "POST /events/consumer/user HTTP/1.1\r\nHost: vigil\r\n"
		if i%2 == 1 {
			head += "x-api-key: " + s.key + "\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
		}
		_, err = conn.Write([]byte(head))
		for err == nil && sleep(ctx, s.every) {
			if i%2 == 0 {
				_, err = fmt.Fprintf(conn, "x-slow-%d: a\r\n", time.Now().UnixNano())
			} else {
				_, err = conn.Write([]byte(" "))
			}
		}
		conn.Close()
		if err != nil {
			s.dropped.Add(1)
		}
	}
}

func (s *slowConns) String() string {
	return fmt.Sprintf("slow: %d connections opened, %d closed by the server", s.opened.Load(), s.dropped.Load())
}

// sleep waits d, reporting false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func peakMemory(pid int) string {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(rest)
		}
	}
	return "unknown"
}

func waitHealthy(base string) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
	}
	check(fmt.Errorf("the server at %s did not become healthy", base))
}

// cleanups run, newest first, before the process exits: the server stops, the database goes.
var cleanups []func()

func atExit(f func()) { cleanups = append(cleanups, f) }

func finish(code int) {
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "neighbors:", err)
		finish(1)
	}
}

// freeAddr and repoRoot end the run on an error, as check does.
func freeAddr() string {
	addr, err := benchenv.FreeAddr()
	check(err)
	return addr
}

func repoRoot() string {
	root, err := benchenv.RepoRoot()
	check(err)
	return root
}

// cpuTime is a process's CPU time, 0 where /proc cannot tell.
func cpuTime(pid int) time.Duration {
	d, _ := benchenv.CPUTime(pid)
	return d
}
