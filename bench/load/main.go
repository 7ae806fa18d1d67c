// Command load drives a realistic user-event load against a running Vigil (or any server that
// speaks the same API) and prints throughput and latency percentiles. Every non-201 answer and
// every transport error counts as a failure.
//
//	go run ./bench/load --url http://127.0.0.1:8080 --key vgl_... --users 1000 --concurrency 32 --duration 20s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/vigil-aml/vigil/bench/loadgen"
)

func main() {
	run := fmt.Sprintf("load-%d", time.Now().UnixNano())
	cfg := loadgen.Config{Run: run, EventRun: run}
	flag.StringVar(&cfg.BaseURL, "url", "http://127.0.0.1:8080", "server base URL")
	flag.StringVar(&cfg.APIKey, "key", os.Getenv("VIGIL_API_KEY"), "API key (env VIGIL_API_KEY)")
	flag.IntVar(&cfg.Users, "users", 1000, "users to create before the run")
	flag.IntVar(&cfg.Concurrency, "concurrency", 32, "concurrent connections")
	flag.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long to send events")
	flag.StringVar(&cfg.Run, "users-of", cfg.Run, "the run whose users get the events: an earlier load's --users-of reuses its users (created once)")
	flag.Float64Var(&cfg.Rate, "rate", 0, "offer this many events per second at a constant rate, latency from each one's intended send time (0: as fast as the connections go)")
	flag.DurationVar(&cfg.WarmUp, "warmup", 0, "with --rate, send at the rate for this long before measuring")
	created := flag.Bool("created", false, "the --users-of run's users exist already: send events only (with a server profiled or measured from outside, a repeated creation's replays would be in it)")
	flag.Int64Var(&cfg.TimestampBase, "timestamp-base", 0, "the n-th event's timestamp is this plus n (0: the users' creation time); give a later load on the same users a larger one so its events are not late")
	timeline := flag.String("timeline", "", "write each event's intended send time and latency (µs from the run's start) to this CSV file")
	flag.Parse()
	if cfg.APIKey == "" {
		fmt.Fprintln(os.Stderr, "load: --key is required")
		os.Exit(2)
	}
	ctx := context.Background()
	if !*created {
		if err := loadgen.CreateUsers(ctx, cfg); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
	}
	if *timeline != "" {
		f, err := os.Create(*timeline)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		defer f.Close()
		cfg.Timeline = f
	}
	res := loadgen.Events(ctx, cfg)
	fmt.Printf("%s concurrency=%d users=%d\n", res, cfg.Concurrency, cfg.Users)
	for _, e := range res.FirstErrors {
		fmt.Fprintln(os.Stderr, "load: failure:", e)
	}
	if res.Failures > 0 {
		os.Exit(1)
	}
}
