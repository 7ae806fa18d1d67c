// Command run is Vigil's benchmark harness: it builds the echo baseline, the durable floor and
// Vigil, starts each as its own process on loopback, drives the same user-event load against
// each in turn (Vigil on SQLite, and on PostgreSQL when one answers), and prints throughput, p50,
// p99, p99.9, failures, the ratios to the echo baseline and to the durable floor, the server's
// and the whole machine's CPU time per event, and what the server wrote per event (bytes and
// write calls, files and sockets alike). Every target runs --runs times, the
// targets taking turns within each run; the table shows medians.
//
// The durable floor (bench/floor) appends each event to a log with group commit and answers
// with one of Vigil's own answers after the fsync: the least a server that durably accepts the
// events can do. --compare runs another vigil binary (an older build) on SQLite beside this one,
// in the same turns. --wire adds the echo server answering with one of Vigil's answers: the cost
// of the wire contract alone. --steady F then offers each Vigil target a constant F times its
// measured maximum and reports the latencies counted from each event's intended send time,
// after --warmup at that rate (the server was just started); --timeline writes each of those
// events' send time and latency to a file, to see where in the run the slow ones fall.
// --contacts makes every event change contact details too (the heavier load of issue 24).
// The table's db/user is what creating the users added to a Vigil's database, per user, and
// db/event what the run's events added, per event (SQLite: pages in use, WAL included;
// PostgreSQL: pg_database_size); with --settle db/user includes the users' term index, which
// otherwise the events' figure takes in.
// --settle waits, before each Vigil run's events, until the search's term index has applied the
// users just created: at a million users that backlog is minutes of the writer's work, which
// otherwise shares the measured run (issue 24's scale target reports both).
//
//	go run ./bench/run --concurrency 32 --duration 15s --runs 3
//	go run ./bench/run --runs 3 --duration 10s --steady 0.5 --contacts
//	go run ./bench/run --runs 5 --duration 8s --postgres "" --compare /tmp/vigil-before
//	go run ./bench/run --runs 1 --duration 15s --users 1000000 --postgres "" --settle
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-aml/vigil/bench/benchenv"
	"github.com/vigil-aml/vigil/bench/loadgen"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, to measure a database's size
)

// server is one started target.
type server struct {
	base, key string
	pid       int // for its CPU time
	stop      func()
	// size, for a Vigil, reports the bytes its database holds (nil: not measured).
	size func() (int64, error)
}

type target struct {
	name  string
	start func(dir string, n int) (server, error)
}

func main() {
	concurrency := flag.Int("concurrency", 32, "concurrent connections")
	duration := flag.Duration("duration", 15*time.Second, "length of one run")
	users := flag.Int("users", 1000, "users created before each run")
	runs := flag.Int("runs", 3, "runs per target (the table shows medians)")
	pg := flag.String("postgres", benchenv.EnvOr("VIGIL_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres"), "PostgreSQL server for the PostgreSQL target (empty: skip)")
	compare := flag.String("compare", "", "another vigil binary (an older build, say) to run on SQLite beside this one")
	wire := flag.Bool("wire", false, "also run the echo server answering with a Vigil answer (the wire contract's own cost)")
	steady := flag.Float64("steady", 0, "after the runs, offer each Vigil target this fraction of its measured maximum at a constant rate (0: skip)")
	contacts := flag.Bool("contacts", false, "events change contact details too (a heavier event)")
	warmUp := flag.Duration("warmup", 2*time.Second, "with --steady, send at the steady rate for this long before measuring (the server just started)")
	timeline := flag.String("timeline", "", "write each steady event's intended send time and latency (µs) to FILE-<target>.csv")
	settle := flag.Bool("settle", false, "before each Vigil run's events, wait until the search's term index has applied the users just created (vigil_search_index_pending_users at 0): the throughput at scale without the import's backlog")
	flag.Parse()
	dir, err := os.MkdirTemp("", "vigil-bench-")
	check(err)
	// os.Exit skips deferred calls, so the exits go through check and finish, which remove the
	// databases (a million users is 17 GB).
	workDir = dir
	root := repoRoot()
	for _, b := range []struct{ out, pkg string }{{"vigil", "./cmd/vigil"}, {"echo", "./bench/echo"}, {"floor", "./bench/floor"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		check(cmd.Run())
	}
	vigil := filepath.Join(dir, "vigil")
	sqlite := func(bin string) func(string, int) (server, error) {
		return func(dir string, n int) (server, error) {
			return startVigil(dir, bin, fmt.Sprintf("sqlite:%s/bench-%d-%d.db", dir, n, time.Now().UnixNano()))
		}
	}
	targets := []target{
		{"echo baseline", func(dir string, n int) (server, error) {
			addr := freeAddr()
			pid, stop, err := spawn(dir, filepath.Join(dir, "echo"), "--listen", addr)
			return server{base: "http://" + addr, key: "unused", pid: pid, stop: stop}, err
		}},
		{"vigil sqlite", sqlite(vigil)},
	}
	reply := filepath.Join(dir, "reply.json")
	check(sampleReply(dir, vigil, reply, *contacts))
	targets = slices.Insert(targets, 1, target{"durable floor", func(dir string, n int) (server, error) {
		addr := freeAddr()
		pid, stop, err := spawn(dir, filepath.Join(dir, "floor"), "--reply", reply,
			"--log", filepath.Join(dir, fmt.Sprintf("floor-%d-%d.log", n, time.Now().UnixNano())), "--listen", addr)
		return server{base: "http://" + addr, key: "unused", pid: pid, stop: stop}, err
	}})
	if *wire {
		targets = slices.Insert(targets, 1, target{"echo vigil-reply", func(dir string, n int) (server, error) {
			addr := freeAddr()
			pid, stop, err := spawn(dir, filepath.Join(dir, "echo"), "--reply", reply, "--listen", addr)
			return server{base: "http://" + addr, key: "unused", pid: pid, stop: stop}, err
		}})
	}
	if *compare != "" {
		bin, err := filepath.Abs(*compare)
		check(err)
		targets = append(targets, target{"compare sqlite", sqlite(bin)})
	}
	if *pg != "" {
		if conn, err := pgx.Connect(context.Background(), *pg); err == nil {
			conn.Close(context.Background())
			targets = append(targets, target{"vigil postgres", func(dir string, n int) (server, error) {
				dsn, drop, err := freshDatabase(*pg, n)
				if err != nil {
					return server{}, err
				}
				srv, err := startVigil(dir, vigil, dsn)
				srv.size = func() (int64, error) { return postgresSize(dsn) }
				stop := srv.stop
				srv.stop = func() {
					if stop != nil {
						stop()
					}
					drop()
				}
				return srv, err
			}})
		} else {
			fmt.Fprintf(os.Stderr, "PostgreSQL target skipped: %v\n", err)
		}
	}

	fmt.Printf("Machine: %d CPUs; load generator in this process; %d connections, %d users, %s runs, median of %d, targets interleaved\n\n",
		numCPU(), *concurrency, *users, *duration, *runs)
	// The targets take turns within each run: this machine's speed drifts over minutes, and a
	// ratio is only fair between runs close in time. CPU per event is the server's own time
	// (user and system) during the event phase, divided by the events: it moves much less than
	// throughput with the machine's speed. Machine CPU per event is the whole machine's busy
	// time over the same phase: the load generator, the kernel and, for PostgreSQL, the
	// database's own processes, which the server's time leaves out.
	results := make([][]loadgen.Result, len(targets))
	cpu := make([][]time.Duration, len(targets))
	machineCPU := make([][]time.Duration, len(targets))
	// What the server wrote per event (files and sockets: the WAL, checkpoints, its log, the
	// answers) and in how many write calls: counts, steadier than the times.
	written := make([][]float64, len(targets))
	writeCalls := make([][]float64, len(targets))
	peakRSS := make([]int64, len(targets)) // the most of any run
	// A Vigil's database: bytes per user the users' creation added, and per event the run's
	// events added.
	perUser := make([][]float64, len(targets))
	perEvent := make([][]float64, len(targets))
	vigilAt := slices.IndexFunc(targets, func(t target) bool { return t.name == "vigil sqlite" })
	compareAt := slices.IndexFunc(targets, func(t target) bool { return t.name == "compare sqlite" })
	for n := range *runs {
		for _, i := range runOrder(len(targets), n, vigilAt, compareAt) {
			tg := targets[i]
			srv, err := tg.start(dir, n)
			check(err)
			cfg := loadgen.Config{BaseURL: srv.base, APIKey: srv.key, Users: *users, Concurrency: *concurrency, Duration: *duration,
				Run: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), n), Contacts: *contacts}
			var sizeEmpty int64 // the migrated, empty database
			if srv.size != nil {
				sizeEmpty, err = srv.size()
				check(err)
			}
			began := time.Now()
			check(loadgen.CreateUsers(context.Background(), cfg))
			fmt.Fprintf(os.Stderr, "%s run %d: created %d users in %s\n", tg.name, n+1, *users, time.Since(began).Round(time.Millisecond))
			if *settle && isVigil(tg.name) {
				waited, err := settleIndex(srv.base)
				check(err)
				fmt.Fprintf(os.Stderr, "%s run %d: the term index caught up %s later\n", tg.name, n+1, waited.Round(time.Millisecond))
			}
			var sizeBefore int64
			if srv.size != nil {
				sizeBefore, err = srv.size()
				check(err)
				perUser[i] = append(perUser[i], float64(sizeBefore-sizeEmpty)/float64(*users))
			}
			before, okBefore := benchenv.CPUTime(srv.pid)
			busyBefore, okBusyBefore := machineBusy()
			bytesBefore, callsBefore, okWrittenBefore := benchenv.Written(srv.pid)
			res := loadgen.Events(context.Background(), cfg)
			after, okAfter := benchenv.CPUTime(srv.pid)
			busyAfter, okBusyAfter := machineBusy()
			bytesAfter, callsAfter, okWrittenAfter := benchenv.Written(srv.pid)
			if okWrittenBefore && okWrittenAfter && res.Events > 0 {
				written[i] = append(written[i], float64(bytesAfter-bytesBefore)/float64(res.Events))
				writeCalls[i] = append(writeCalls[i], float64(callsAfter-callsBefore)/float64(res.Events))
			}
			if rss, ok := benchenv.PeakRSS(srv.pid); ok {
				peakRSS[i] = max(peakRSS[i], rss)
			}
			if srv.size != nil && res.Events > 0 {
				sizeAfter, err := srv.size()
				check(err)
				perEvent[i] = append(perEvent[i], float64(sizeAfter-sizeBefore)/float64(res.Events))
			}
			srv.stop()
			results[i] = append(results[i], res)
			if okBefore && okAfter && res.Events > 0 {
				cpu[i] = append(cpu[i], (after-before)/time.Duration(res.Events))
			}
			if okBusyBefore && okBusyAfter && res.Events > 0 {
				machineCPU[i] = append(machineCPU[i], (busyAfter-busyBefore)/time.Duration(res.Events))
			}
		}
	}
	pairs := pairRatios(results, vigilAt, compareAt)
	var baseline, floorRate float64
	fmt.Printf("%-16s %10s %9s %9s %9s %8s %7s %7s %10s %12s %9s %8s %9s %14s\n", "target", "events/s", "p50", "p99", "p99.9", "failures",
		"/echo", "/floor", "cpu/event", "machine/event", "peak RSS", "db/user", "db/event", "written/event")
	exit := 0
	maxRate := make([]float64, len(targets))
	for i, tg := range targets {
		rs := results[i]
		sort.Slice(rs, func(a, b int) bool { return rs[a].Throughput() < rs[b].Throughput() })
		med := rs[len(rs)/2]
		maxRate[i] = med.Throughput()
		failures := 0
		for _, r := range rs {
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
		if tg.name == "durable floor" {
			floorRate = med.Throughput()
		}
		fmt.Printf("%-16s %10.0f %9s %9s %9s %8d %7.3f %7s %10s %12s %9s %8s %9s %14s\n", tg.name, med.Throughput(), med.P50.Round(time.Microsecond),
			med.P99.Round(time.Microsecond), med.P999.Round(time.Microsecond), failures, med.Throughput()/baseline,
			ratio(med.Throughput(), floorRate), median(cpu[i]), median(machineCPU[i]), mebibytes(peakRSS[i]),
			kilobytes(perUser[i]), kilobytes(perEvent[i]), writes(written[i], writeCalls[i]))
	}
	if len(pairs) > 0 {
		fmt.Printf("\nvigil sqlite against compare sqlite, events/s run by run (each pair back to back, the order alternating): %s\n",
			percents(pairs))
	}
	if *steady > 0 {
		fmt.Printf("\nSteady load: %.2f of each target's maximum, offered at a constant rate; latency from the intended send time, measured after a warm-up of %s\n", *steady, *warmUp)
		fmt.Printf("%-16s %10s %10s %9s %9s %9s %8s\n", "target", "offered/s", "events/s", "p50", "p99", "p99.9", "failures")
		for i, tg := range targets {
			if !isVigil(tg.name) {
				continue
			}
			srv, err := tg.start(dir, *runs)
			check(err)
			rate := *steady * maxRate[i]
			cfg := loadgen.Config{BaseURL: srv.base, APIKey: srv.key, Users: *users, Concurrency: 4 * *concurrency, Duration: *duration,
				Run: fmt.Sprintf("steady-%d", time.Now().UnixNano()), Contacts: *contacts, Rate: rate, WarmUp: *warmUp}
			check(loadgen.CreateUsers(context.Background(), cfg))
			var timelineFile *os.File
			if *timeline != "" {
				timelineFile, err = os.Create(fmt.Sprintf("%s-%s.csv", *timeline, strings.ReplaceAll(tg.name, " ", "-")))
				check(err)
				cfg.Timeline = timelineFile
			}
			res := loadgen.Events(context.Background(), cfg)
			if timelineFile != nil {
				check(timelineFile.Close())
			}
			srv.stop()
			if res.Failures > 0 {
				exit = 1
				for _, e := range res.FirstErrors {
					fmt.Fprintf(os.Stderr, "%s steady: failure: %s\n", tg.name, e)
				}
			}
			fmt.Printf("%-16s %10.0f %10.0f %9s %9s %9s %8d\n", tg.name, rate, res.Throughput(), res.P50.Round(time.Microsecond),
				res.P99.Round(time.Microsecond), res.P999.Round(time.Microsecond), res.Failures)
		}
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

// startVigil creates a key with the vigil binary bin and starts it serving a fresh database.
func startVigil(dir, bin, dsn string) (server, error) {
	out, err := exec.Command(bin, "keys", "create", "--tenant", "bench", "--db", dsn).Output()
	if err != nil {
		return server{}, fmt.Errorf("keys create: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	addr := freeAddr()
	pid, stop, err := spawn(dir, bin, "serve", "--listen", addr, "--db", dsn)
	srv := server{base: "http://" + addr, key: lines[len(lines)-1], pid: pid, stop: stop}
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		srv.size = func() (int64, error) { return sqliteSize(path) }
	}
	return srv, err
}

// sqliteSize is the bytes of the SQLite database at path in use, its WAL's newest pages
// included: pages in the database less its free list, read through a connection of its own.
func sqliteSize(path string) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var pages, free, pageSize int64
	err = db.QueryRow("SELECT (SELECT page_count FROM pragma_page_count()), (SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_size FROM pragma_page_size())").Scan(&pages, &free, &pageSize)
	return (pages - free) * pageSize, err
}

// postgresSize is the size on disk of the PostgreSQL database at dsn.
func postgresSize(dsn string) (int64, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
	return n, err
}

// isVigil reports whether a target is a Vigil server (this build or the one compared).
func isVigil(target string) bool {
	return strings.HasPrefix(target, "vigil") || strings.HasPrefix(target, "compare")
}

// settleIndex waits until the Vigil at base reports no users pending for its term index in two
// readings at least one indexer round (2 s) apart, the first zero being the gauge's value before
// any round, and returns how long it waited.
func settleIndex(base string) (time.Duration, error) {
	began := time.Now()
	var zeroSince time.Time
	for {
		pending, err := pendingUsers(base)
		if err != nil {
			return 0, err
		}
		switch {
		case pending > 0:
			zeroSince = time.Time{}
		case zeroSince.IsZero():
			zeroSince = time.Now()
		case time.Since(zeroSince) > 2500*time.Millisecond:
			return time.Since(began), nil
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// pendingUsers reads vigil_search_index_pending_users from the server's metrics.
func pendingUsers(base string) (float64, error) {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(body)) {
		if value, ok := strings.CutPrefix(line, "vigil_search_index_pending_users "); ok {
			return strconv.ParseFloat(strings.TrimSpace(value), 64)
		}
	}
	return 0, errors.New("the server reports no vigil_search_index_pending_users (a build before it?): run without --settle")
}

// middle is the median of xs (of the upper two for an even count); xs is not empty.
func middle(xs []float64) float64 {
	sorted := slices.Sorted(slices.Values(xs))
	return sorted[len(sorted)/2]
}

// kilobytes formats the median of byte counts in KB ("-" for none).
func kilobytes(bytes []float64) string {
	if len(bytes) == 0 {
		return "-"
	}
	return strconv.FormatFloat(middle(bytes)/1000, 'f', 2, 64) + " KB"
}

// writes formats the medians of bytes and write calls per event ("-" for none): "33.1 KB/14.2".
func writes(bytes, calls []float64) string {
	if len(bytes) == 0 || len(calls) == 0 {
		return "-"
	}
	return strconv.FormatFloat(middle(bytes)/1000, 'f', 1, 64) + " KB/" + strconv.FormatFloat(middle(calls), 'f', 1, 64)
}

// ratio formats a/b, or "-" without a b.
func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return strconv.FormatFloat(a/b, 'f', 3, 64)
}

// sampleReply writes to path Vigil's answer to one event of the load, from a Vigil of its own.
func sampleReply(dir, bin, path string, contacts bool) error {
	srv, err := startVigil(dir, bin, fmt.Sprintf("sqlite:%s/sample.db", dir))
	if err != nil {
		return err
	}
	defer srv.stop()
	cfg := loadgen.Config{BaseURL: srv.base, APIKey: srv.key, Users: 1, Run: "sample", Contacts: contacts}
	if err := loadgen.CreateUsers(context.Background(), cfg); err != nil {
		return err
	}
	reply, err := loadgen.SampleReply(context.Background(), cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(path, reply, 0o600)
}

// spawn starts a server process and waits until it answers on its address.
func spawn(dir, bin string, args ...string) (int, func(), error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return 0, nil, err
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
			return cmd.Process.Pid, stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return 0, nil, fmt.Errorf("%s did not start", bin)
}

// mebibytes formats a size in MiB, or "-" when it is unknown.
func mebibytes(n int64) string {
	if n <= 0 {
		return "-"
	}
	return strconv.FormatInt(n>>20, 10) + " MiB"
}

// median formats the median of durations, or "-" when there are none.
func median(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	slices.Sort(ds)
	return ds[len(ds)/2].Round(time.Microsecond).String()
}

// machineBusy reads the time all CPUs spent busy (user, nice, system, irq and softirq) from
// /proc/stat (Linux; false elsewhere), in clock ticks of 1/100 s.
func machineBusy() (time.Duration, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user, nice, system, irq, softirq
		n, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, true
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

func numCPU() int {
	out, _ := exec.Command("nproc").Output()
	var n int
	fmt.Sscan(string(out), &n)
	return n
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
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

// runOrder is the order the targets take in run n: their own, except that every other run
// swaps the two SQLite builds being compared, so neither always runs right after the other
// (a machine that slows or speeds up over a run would favour one of them).
func runOrder(targets, n, a, b int) []int {
	order := make([]int, targets)
	for i := range order {
		order[i] = i
	}
	if n%2 == 1 && a >= 0 && b >= 0 {
		order[a], order[b] = order[b], order[a]
	}
	return order
}

// pairRatios lists, run by run, the events/s of target a against target b's in the same run, in
// percent (+7 is 7% more), or nothing when either is missing. Run by run is fairer than the
// medians' ratio on a machine whose speed drifts: the two ran back to back.
func pairRatios(results [][]loadgen.Result, a, b int) []float64 {
	if a < 0 || b < 0 {
		return nil
	}
	var out []float64
	for n := range min(len(results[a]), len(results[b])) {
		if rb := results[b][n].Throughput(); rb > 0 {
			out = append(out, 100*(results[a][n].Throughput()/rb-1))
		}
	}
	return out
}

// percents formats pairRatios' percentages in run order, then their median.
func percents(values []float64) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%+.0f%%", v)
	}
	sorted := slices.Sorted(slices.Values(values))
	m := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		m = (sorted[len(sorted)/2-1] + m) / 2
	}
	return fmt.Sprintf("%s; median %+.0f%%", strings.Join(parts, " "), m)
}
