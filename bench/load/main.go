// Command load drives a realistic user-event load against a running Vigil (or any server that
// speaks the same API) and prints throughput and latency percentiles. Every non-2xx answer and
// every transport error counts as a failure.
//
//	go run ./bench/load --url http://127.0.0.1:8080 --key vgl_... --users 1000 --concurrency 32 --duration 20s
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server base URL")
	key := flag.String("key", os.Getenv("VIGIL_API_KEY"), "API key (env VIGIL_API_KEY)")
	users := flag.Int("users", 1000, "users to create before the run")
	conc := flag.Int("concurrency", 32, "concurrent connections")
	duration := flag.Duration("duration", 20*time.Second, "how long to send events")
	flag.Parse()
	if *key == "" {
		fmt.Fprintln(os.Stderr, "load: --key is required")
		os.Exit(2)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}, Timeout: 30 * time.Second}
	run := fmt.Sprintf("load-%d", time.Now().UnixNano())
	post := func(path string, body []byte) (int, error) {
		req, err := http.NewRequest(http.MethodPost, *base+path, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("x-api-key", *key)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}
	for i := range *users {
		body := fmt.Appendf(nil, `{"userId":"%s-%d","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada","lastName":"Lovelace"},"countryOfResidence":"DE","countryOfNationality":"DE","dateOfBirth":"1990-01-01"},"userStateDetails":{"state":"CREATED"},"kycStatusDetails":{"status":"NEW"},"contactDetails":{"emailIds":["ada@example.com"]}}`, run, i)
		if code, err := post("/consumer/users", body); err != nil || code/100 != 2 {
			fmt.Fprintf(os.Stderr, "load: create user %d: %d %v\n", i, code, err)
			os.Exit(1)
		}
	}
	states := []string{"ACTIVE", "SUSPENDED", "ACTIVE", "DORMANT", "ACTIVE"}
	kyc := []string{"IN_PROGRESS", "SUCCESSFUL", "MANUAL_REVIEW", "SUCCESSFUL"}
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	var seq, failures atomic.Int64
	var mu sync.Mutex
	var latencies []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			var local []time.Duration
			for ctx.Err() == nil {
				n := seq.Add(1)
				body := fmt.Appendf(nil, `{"eventId":"%s-e%d","userId":"%s-%d","timestamp":%d,"reason":"load","updatedConsumerUserAttributes":{"userStateDetails":{"state":"%s"},"kycStatusDetails":{"status":"%s"},"tags":[{"key":"batch","value":"%d"}]}}`,
					run, n, run, rng.IntN(*users), 1700000000000+n, states[rng.IntN(len(states))], kyc[rng.IntN(len(kyc))], n%10)
				t0 := time.Now()
				code, err := post("/events/consumer/user", body)
				local = append(local, time.Since(t0))
				if err != nil || code != http.StatusCreated {
					if failures.Add(1) <= 5 {
						fmt.Fprintf(os.Stderr, "load: event failed: %d %v\n", code, err)
					}
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	fmt.Printf("events=%d failures=%d duration=%s throughput=%.0f/s p50=%s p99=%s concurrency=%d users=%d\n",
		len(latencies), failures.Load(), elapsed.Round(time.Millisecond), float64(len(latencies))/elapsed.Seconds(),
		pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), *conc, *users)
	if failures.Load() > 0 {
		os.Exit(1)
	}
}
