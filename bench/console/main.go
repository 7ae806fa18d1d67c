// Command console measures the analyst's reads on a large tenant (issue 22): it loads --users
// users with --events events each through Vigil's own write path (the batch endpoints of a
// `vigil serve`, the binary built from this checkout), then measures p50 and p99 of every
// GET /users filter (alone and combined, the first page and a page further on by its cursor),
// GET of a user, its timeline, ?asOf and the console's users and user pages signed in as an
// analyst, on SQLite and on PostgreSQL.
//
// A loaded database is kept (SQLite under --dir, PostgreSQL in its own database) with a state
// file beside it, so a later run measures again without loading; --fresh starts over. An
// interrupted load resumes where it stopped.
//
//	go run ./bench/console --users 1000000 --store sqlite,postgres
//	go run ./bench/console --users 50000 --store sqlite --runs 100
//	go run ./bench/console --users 1000000 --load-only
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-aml/vigil/bench/benchenv"
)

// state is what a store's state file records about its database.
type state struct {
	DSN    string `json:"dsn"`
	Users  int    `json:"users"`
	Events int    `json:"events"`
	// Loaded is how many users, from the first, are loaded with their events.
	Loaded int `json:"loaded"`
	// LoadSeconds is the time spent loading, summed over resumed runs.
	LoadSeconds float64 `json:"loadSeconds"`
}

func main() {
	users := flag.Int("users", 1_000_000, "users in the tenant")
	events := flag.Int("events", 2, "events per user after its creation")
	stores := flag.String("store", "sqlite,postgres", "stores to measure, comma-separated: sqlite, postgres")
	dir := flag.String("dir", "/tmp/vigil-bench-console", "where the binary, SQLite databases and state files are kept")
	pg := flag.String("postgres", benchenv.EnvOr("VIGIL_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres"), "PostgreSQL server (its database is used to create the bench's own)")
	fresh := flag.Bool("fresh", false, "drop the stored databases and load again")
	loadOnly := flag.Bool("load-only", false, "load (or finish loading) and stop")
	measureOnly := flag.Bool("measure-only", false, "measure what is loaded so far, without loading (say, beside a load still running)")
	workers := flag.Int("workers", 3, "concurrent batch requests while loading")
	singly := flag.Int("singly", 0, "load with single requests from this many connections per chunk instead of batches (0: batches)")
	vacuum := flag.Bool("vacuum", true, "on PostgreSQL, VACUUM (ANALYZE) the user tables before measuring, as autovacuum would")
	runs := flag.Int("runs", 200, "requests per measured case")
	flag.Parse()
	check(os.MkdirAll(*dir, 0o755))
	// Each run builds its own binary: another run may be serving from the previous one.
	dir0, err := os.MkdirTemp("", "vigil-bench-console-")
	check(err)
	binDir = dir0
	defer os.RemoveAll(binDir)
	bin := filepath.Join(binDir, "vigil")
	build := exec.Command("go", "build", "-o", bin, "./cmd/vigil")
	build.Dir, build.Stdout, build.Stderr = repoRoot(), os.Stderr, os.Stderr
	check(build.Run())
	for _, store := range strings.Split(*stores, ",") {
		name := fmt.Sprintf("%s-%d-%d", store, *users, *events)
		statePath := filepath.Join(*dir, name+".json")
		var dsn string
		switch store {
		case "sqlite":
			path := filepath.Join(*dir, name+".db")
			if *fresh {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					os.Remove(path + suffix)
				}
				os.Remove(statePath)
			}
			dsn = "sqlite:" + path
		case "postgres":
			db := fmt.Sprintf("vigil_bench_console_%d_%d", *users, *events)
			var err error
			dsn, err = pgDatabase(*pg, db, *fresh)
			check(err)
			if *fresh {
				os.Remove(statePath)
			}
		default:
			check(fmt.Errorf("unknown store %q", store))
		}
		st := state{DSN: dsn, Users: *users, Events: *events}
		if data, err := os.ReadFile(statePath); err == nil {
			check(json.Unmarshal(data, &st))
		}
		if !*measureOnly {
			check(writeJSON(statePath, st))
		}
		srv, err := start(*dir, bin, dsn)
		check(err)
		if st.Loaded < *users && !*measureOnly {
			fmt.Fprintf(os.Stderr, "%s: loading users %d to %d with %d events each\n", store, st.Loaded, *users, *events)
			began, loadedBefore := time.Now(), st.Loaded
			err := srv.client.load(context.Background(), st.Loaded, *users, *events, *workers, *singly, func(done int) error {
				st.Loaded = done
				st.LoadSeconds += time.Since(began).Seconds()
				began = time.Now()
				return writeJSON(statePath, st)
			})
			if err != nil {
				srv.stop()
				check(err)
			}
			fmt.Fprintf(os.Stderr, "%s: loaded %d users in this run\n", store, st.Loaded-loadedBefore)
		}
		fmt.Printf("\n%s: %d of %d users loaded, %d events each, in %s in all, database %s\n", store, st.Loaded, st.Users, st.Events,
			(time.Duration(st.LoadSeconds) * time.Second).String(), dbSize(store, dsn))
		if !*loadOnly {
			if store == "postgres" && *vacuum {
				// What autovacuum does after a load (it is off on some test servers): statistics
				// for the planner, and the visibility map that lets index-only scans skip the heap.
				began := time.Now()
				if err := pgExec(dsn, "VACUUM (ANALYZE) users, user_terms, user_entries"); err != nil {
					srv.stop()
					check(err)
				}
				fmt.Printf("VACUUM (ANALYZE) took %s\n", time.Since(began).Round(time.Second))
			}
			if err := measure(context.Background(), srv, st.Loaded, *runs); err != nil {
				srv.stop() // check exits without deferred calls: the server must not outlive the run
				check(err)
			}
		}
		srv.stop()
	}
}

// server is a running `vigil serve` with an API key and an analyst's password.
type server struct {
	client   *client
	analyst  string
	password string
	// pid is the server's process, for its CPU time.
	pid  int
	stop func()
}

// start creates a key and an analyst for the tenant "bench" and starts serving dsn.
func start(dir, bin, dsn string) (server, error) {
	out, err := exec.Command(bin, "keys", "create", "--tenant", "bench", "--db", dsn).Output()
	if err != nil {
		return server{}, fmt.Errorf("keys create: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	key := lines[len(lines)-1]
	const email, password = "bench-analyst@example.com", "bench-password-long-enough"
	add := exec.Command(bin, "analysts", "add", "--tenant", "bench", "--email", email, "--role", "analyst", "--db", dsn)
	add.Stdin = strings.NewReader(password + "\n")
	// An earlier run added the same analyst with the same password.
	if out, err := add.CombinedOutput(); err != nil && !strings.Contains(string(out), "exists") {
		return server{}, fmt.Errorf("analysts add: %w: %s", err, out)
	}
	addr := freeAddr()
	cmd := exec.Command(bin, "serve", "--listen", addr, "--db", dsn, "--log-level", "warn")
	cmd.Dir = dir
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return server{}, err
	}
	go func() { // keep draining and show what the server complains of
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			fmt.Fprintln(os.Stderr, "vigil:", s.Text())
		}
	}()
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	c := &client{base: "http://" + addr, key: key, http: &http.Client{Timeout: 10 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if res, err := http.Get(c.base + "/healthz"); err == nil {
			res.Body.Close()
			return server{client: c, analyst: email, password: password, pid: cmd.Process.Pid, stop: stop}, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return server{}, errors.New("vigil did not start")
}

// pgDatabase returns the DSN of the bench's own database on the server of base, creating it
// (or dropping it first, when fresh).
func pgDatabase(base, name string, fresh bool) (string, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if fresh {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return "", err
		}
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			return "", err
		}
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, name), nil
}

// pgExec runs one statement on the database of dsn.
func pgExec(dsn, sql string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// dbSize is the database's size on disk.
func dbSize(store, dsn string) string {
	switch store {
	case "sqlite":
		var total int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:") + suffix); err == nil {
				total += fi.Size()
			}
		}
		return fmt.Sprintf("%.2f GB", float64(total)/1e9)
	default:
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return "?"
		}
		defer conn.Close(ctx)
		var size string
		if err := conn.QueryRow(ctx, "SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(&size); err != nil {
			return "?"
		}
		return size
	}
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// binDir holds this run's binary; check removes it, since os.Exit skips deferred calls.
var binDir string

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if binDir != "" {
			os.RemoveAll(binDir)
		}
		os.Exit(1)
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
