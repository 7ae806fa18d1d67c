// Command run is Vigil's benchmark harness: it builds the echo baseline and Vigil, starts each as
// its own process on loopback, drives the same user-event load against each in turn (Vigil on
// SQLite, and on PostgreSQL when one answers), and prints throughput, p50, p99, failures and the
// ratio to the baseline. Every target runs --runs times; the table shows medians.
//
//	go run ./bench/run --concurrency 32 --duration 15s --runs 3
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
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-aml/vigil/bench/loadgen"
)

type target struct {
	name  string
	start func(dir string, n int) (base, key string, stop func(), err error)
}

func main() {
	concurrency := flag.Int("concurrency", 32, "concurrent connections")
	duration := flag.Duration("duration", 15*time.Second, "length of one run")
	users := flag.Int("users", 1000, "users created before each run")
	runs := flag.Int("runs", 3, "runs per target (the table shows medians)")
	pg := flag.String("postgres", envOr("VIGIL_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres"), "PostgreSQL server for the PostgreSQL target (empty: skip)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "vigil-bench-")
	check(err)
	// os.Exit skips deferred calls, so the exits go through check and finish, which remove the
	// databases (a million users is 17 GB).
	workDir = dir
	root := repoRoot()
	for _, b := range []struct{ out, pkg string }{{"vigil", "./cmd/vigil"}, {"echo", "./bench/echo"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		check(cmd.Run())
	}
	targets := []target{
		{"echo baseline", func(dir string, n int) (string, string, func(), error) {
			addr := freeAddr()
			stop, err := spawn(dir, filepath.Join(dir, "echo"), "--listen", addr)
			return "http://" + addr, "unused", stop, err
		}},
		{"vigil sqlite", func(dir string, n int) (string, string, func(), error) {
			return startVigil(dir, fmt.Sprintf("sqlite:%s/bench-%d.db", dir, n))
		}},
	}
	if *pg != "" {
		if conn, err := pgx.Connect(context.Background(), *pg); err == nil {
			conn.Close(context.Background())
			targets = append(targets, target{"vigil postgres", func(dir string, n int) (string, string, func(), error) {
				dsn, drop, err := freshDatabase(*pg, n)
				if err != nil {
					return "", "", nil, err
				}
				base, key, stop, err := startVigil(dir, dsn)
				return base, key, func() {
					if stop != nil {
						stop()
					}
					drop()
				}, err
			}})
		} else {
			fmt.Fprintf(os.Stderr, "PostgreSQL target skipped: %v\n", err)
		}
	}

	fmt.Printf("Machine: %d CPUs; load generator in this process; %d connections, %d users, %s runs, median of %d\n\n",
		numCPU(), *concurrency, *users, *duration, *runs)
	var baseline float64
	fmt.Printf("%-16s %12s %10s %10s %9s %7s\n", "target", "events/s", "p50", "p99", "failures", "ratio")
	exit := 0
	for _, tg := range targets {
		var results []loadgen.Result
		for n := range *runs {
			base, key, stop, err := tg.start(dir, n)
			check(err)
			cfg := loadgen.Config{BaseURL: base, APIKey: key, Users: *users, Concurrency: *concurrency, Duration: *duration,
				Run: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), n)}
			began := time.Now()
			check(loadgen.CreateUsers(context.Background(), cfg))
			fmt.Fprintf(os.Stderr, "%s run %d: created %d users in %s\n", tg.name, n+1, *users, time.Since(began).Round(time.Millisecond))
			results = append(results, loadgen.Events(context.Background(), cfg))
			stop()
		}
		sort.Slice(results, func(i, j int) bool { return results[i].Throughput() < results[j].Throughput() })
		med := results[len(results)/2]
		failures := 0
		for _, r := range results {
			failures += r.Failures
			for _, e := range r.FirstErrors {
				fmt.Fprintf(os.Stderr, "%s: failure: %s\n", tg.name, e)
			}
		}
		if failures > 0 {
			exit = 1
		}
		if baseline == 0 {
			baseline = med.Throughput()
		}
		fmt.Printf("%-16s %12.0f %10s %10s %9d %7.3f\n", tg.name, med.Throughput(), med.P50.Round(time.Microsecond),
			med.P99.Round(time.Microsecond), failures, med.Throughput()/baseline)
	}
	finish(exit)
}

// workDir holds the binaries and databases of this run.
var workDir string

// finish removes the work directory and exits.
func finish(code int) {
	if workDir != "" {
		os.RemoveAll(workDir)
	}
	os.Exit(code)
}

// startVigil creates a key and starts `vigil serve` on a fresh database.
func startVigil(dir, dsn string) (string, string, func(), error) {
	out, err := exec.Command(filepath.Join(dir, "vigil"), "keys", "create", "--tenant", "bench", "--db", dsn).Output()
	if err != nil {
		return "", "", nil, fmt.Errorf("keys create: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	addr := freeAddr()
	stop, err := spawn(dir, filepath.Join(dir, "vigil"), "serve", "--listen", addr, "--db", dsn)
	return "http://" + addr, lines[len(lines)-1], stop, err
}

// spawn starts a server process and waits until it answers on its address.
func spawn(dir, bin string, args ...string) (func(), error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { // keep draining, so a chatty server never blocks
		s := bufio.NewScanner(stderr)
		for s.Scan() {
		}
	}()
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	addr := args[len(args)-1]
	for i, a := range args {
		if a == "--listen" {
			addr = args[i+1]
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			return stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return nil, fmt.Errorf("%s did not start", bin)
}

func freshDatabase(base string, n int) (string, func(), error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("vigil_bench_%d_%d", time.Now().Unix(), n)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	conn.Close(ctx)
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		return "", nil, err
	}
	dsn := fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, name)
	drop := func() {
		if c, err := pgx.Connect(ctx, base); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	}
	return dsn, drop, nil
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer ln.Close()
	return ln.Addr().String()
}

func repoRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	check(err)
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func numCPU() int {
	out, _ := exec.Command("nproc").Output()
	var n int
	fmt.Sscan(string(out), &n)
	return n
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		finish(1)
	}
}
