// Package loadgen drives a realistic user-event load against a server that speaks Vigil's (and
// Flagright's) API and measures it: every non-201 answer and every transport error counts as a
// failure. The same load runs against the echo baseline and against Vigil.
package loadgen

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes one run.
type Config struct {
	BaseURL     string
	APIKey      string
	Users       int
	Concurrency int
	Duration    time.Duration
	// Run prefixes user and event ids, so runs against one database do not collide.
	Run string
	// EventRun, when set, prefixes event ids instead of Run: a load can then send new events
	// to the users of an earlier run.
	EventRun string
	// Acked, when set, receives the eventId of every event answered 201 (for durability checks).
	Acked func(eventID string)
	// Rate, when positive, offers events at that many per second (an open loop: up to
	// Concurrency in flight) and measures each latency from the event's intended send time, so
	// a stall delays every event scheduled behind it and shows in the tail. Zero sends as fast
	// as Concurrency clients can (a closed loop).
	Rate float64
	// Contacts makes every event change the user's contact details too (an email and a phone
	// number): a heavier event, as in the load.
	Contacts bool
	// WarmUp, with a Rate, sends the events due in the run's first WarmUp at the rate but
	// leaves them out of the result (and the timeline): a server that just started opens its
	// database connections and fills its caches then. The run lasts WarmUp + Duration.
	WarmUp time.Duration
	// Timeline, when set, receives a first line "# start <Unix µs>", then one line per event,
	// "due,latency" in microseconds from the run's start, in no particular order: where in a
	// run its slow events fall, to set beside the server's own log.
	Timeline io.Writer
	// TimestampBase, when set, replaces 1700000000000 as the base of the events' timestamps (the
	// n-th event's is base+n): a later load on the same users then sends events in order, not
	// late behind the earlier load's.
	TimestampBase int64
}

// Result is what a run measured.
type Result struct {
	Events, Failures int
	Elapsed          time.Duration
	P50, P99, P999   time.Duration
	// FirstErrors holds up to five failures, for the report.
	FirstErrors []string
}

// Throughput is events per second.
func (r Result) Throughput() float64 { return float64(r.Events) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("events=%d failures=%d duration=%s throughput=%.0f/s p50=%s p99=%s p99.9=%s",
		r.Events, r.Failures, r.Elapsed.Round(time.Millisecond), r.Throughput(), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond),
		r.P999.Round(time.Microsecond))
}

type client struct {
	http *http.Client
	cfg  Config
}

// send posts a JSON body with the run's API key.
func (c *client) send(ctx context.Context, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-api-key", c.cfg.APIKey)
	req.Header.Set("Content-Type", "application/json")
	return c.http.Do(req)
}

// post sends a body and returns only the status, draining the answer so the connection is reused.
func (c *client) post(ctx context.Context, path string, body []byte) (int, error) {
	res, err := c.send(ctx, path, body)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// usersPerBatch is how many users one create request carries: large enough that a million
// users load in minutes, small enough that one request stays well under the body limit.
const usersPerBatch = 1000

// CreateUsers creates the run's users (each with a realistic onboarding profile) through the
// batch endpoint, as a bulk onboarding would, from two connections; any failed record is an
// error.
func CreateUsers(ctx context.Context, cfg Config) error {
	c := &client{http: &http.Client{Timeout: 5 * time.Minute}, cfg: cfg}
	starts := make(chan int)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			var err error
			for first := range starts {
				if err == nil {
					err = c.createBatch(ctx, first, min(first+usersPerBatch, cfg.Users))
				}
			}
			errs <- err
		}()
	}
	for first := 0; first < cfg.Users; first += usersPerBatch {
		starts <- first
	}
	close(starts)
	return errors.Join(<-errs, <-errs)
}

// createBatch creates users [first, end) in one batch request.
func (c *client) createBatch(ctx context.Context, first, end int) error {
	body := fmt.Appendf(nil, `{"batchId":"%s-users-%d","data":[`, c.cfg.Run, first)
	for i := first; i < end; i++ {
		if i > first {
			body = append(body, ',')
		}
		body = fmt.Appendf(body, `{"userId":"%s-%d","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada","lastName":"Lovelace"},"countryOfResidence":"DE","countryOfNationality":"DE","dateOfBirth":"1990-01-01"},"userStateDetails":{"state":"CREATED"},"kycStatusDetails":{"status":"NEW"},"contactDetails":{"emailIds":["ada@example.com"]},"employmentStatus":"EMPLOYED","sourceOfFunds":["Salary"]}`, c.cfg.Run, i)
	}
	body = append(body, "]}"...)
	res, err := c.send(ctx, "/batch/consumer/users", body)
	if err != nil {
		return fmt.Errorf("create users %d-%d: %w", first, end-1, err)
	}
	defer res.Body.Close()
	var answer struct {
		Failed int `json:"failed"`
	}
	if err := json.NewDecoder(res.Body).Decode(&answer); err != nil || res.StatusCode/100 != 2 || answer.Failed != 0 {
		return fmt.Errorf("create users %d-%d: status %d, %d failed, %v", first, end-1, res.StatusCode, answer.Failed, err)
	}
	return nil
}

var (
	states = []string{"ACTIVE", "SUSPENDED", "ACTIVE", "DORMANT", "ACTIVE"}
	kyc    = []string{"IN_PROGRESS", "SUCCESSFUL", "MANUAL_REVIEW", "SUCCESSFUL"}
)

// defaultTimestampBase is the base of a load's event timestamps: the users' creation time.
const defaultTimestampBase = 1700000000000

// eventBody is the n-th event of a load, at time ts: user's state and KYC status change
// and a tag is set.
func eventBody(eventID, run string, user int, n, ts int64, state, kycStatus string, contacts bool) []byte {
	if contacts {
		return fmt.Appendf(nil, `{"eventId":"%s","userId":"%s-%d","timestamp":%d,"reason":"load","updatedConsumerUserAttributes":{"userStateDetails":{"state":"%s"},"kycStatusDetails":{"status":"%s"},"contactDetails":{"emailIds":["user%d.%d@example.com"],"contactNumbers":["+4915%08d"]},"tags":[{"key":"batch","value":"%d"}]}}`,
			eventID, run, user, ts, state, kycStatus, user, n%100, n%100000000, n%10)
	}
	return fmt.Appendf(nil, `{"eventId":"%s","userId":"%s-%d","timestamp":%d,"reason":"load","updatedConsumerUserAttributes":{"userStateDetails":{"state":"%s"},"kycStatusDetails":{"status":"%s"},"tags":[{"key":"batch","value":"%d"}]}}`,
		eventID, run, user, ts, state, kycStatus, n%10)
}

// SampleReply sends one event of the load's kind to the run's first user (created already) and
// returns the server's answer: what every event of a run answers, near enough in size and shape
// to measure what carrying it costs.
func SampleReply(ctx context.Context, cfg Config) ([]byte, error) {
	c := &client{http: &http.Client{Timeout: 30 * time.Second}, cfg: cfg}
	res, err := c.send(ctx, "/events/consumer/user", eventBody(cfg.Run+"-sample", cfg.Run, 0, 1, defaultTimestampBase+1, "SUSPENDED", "MANUAL_REVIEW", cfg.Contacts))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	reply, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("sample event: status %d: %s", res.StatusCode, reply)
	}
	return reply, nil
}

// Events sends user events from Concurrency clients for Duration: state and KYC changes and a
// tag, each with its own eventId, in timestamp order per user.
func Events(ctx context.Context, cfg Config) Result {
	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency}
	c := &client{http: &http.Client{Transport: transport, Timeout: 30 * time.Second}, cfg: cfg}
	defer transport.CloseIdleConnections()
	if cfg.Rate <= 0 {
		cfg.WarmUp = 0
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.WarmUp+cfg.Duration)
	defer cancel()
	var seq atomic.Int64
	var mu sync.Mutex
	var latencies []time.Duration
	var res Result
	var wg sync.WaitGroup
	start := time.Now().Add(cfg.WarmUp) // measuring starts after the warm-up
	if cfg.Timeline != nil {
		fmt.Fprintf(cfg.Timeline, "# start %d\n", start.UnixMicro())
	}
	// With a rate, the n-th event is due at start + n/Rate: a client takes the next event number
	// and waits for its time, and its latency counts from that time, not from when a client was
	// free to send it.
	due := func(n int64) time.Time {
		return start.Add(time.Duration(float64(n-1)/cfg.Rate*float64(time.Second)) - cfg.WarmUp)
	}
	for w := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			var local []time.Duration
			var sent []time.Duration
			var failures int
			var errs []string
			for ctx.Err() == nil {
				n := seq.Add(1)
				eventID := fmt.Sprintf("%s-e%d", cmp.Or(cfg.EventRun, cfg.Run), n)
				body := eventBody(eventID, cfg.Run, rng.IntN(cfg.Users), n, cmp.Or(cfg.TimestampBase, defaultTimestampBase)+n, states[rng.IntN(len(states))], kyc[rng.IntN(len(kyc))], cfg.Contacts)
				t0 := time.Now()
				if cfg.Rate > 0 {
					t0 = due(n)
					if wait := time.Until(t0); wait > 0 {
						select {
						case <-time.After(wait):
						case <-ctx.Done():
						}
						if ctx.Err() != nil {
							break
						}
					}
				}
				code, err := c.post(ctx, "/events/consumer/user", body)
				if ctx.Err() != nil && err != nil {
					break // the run ended during the request: neither a success nor a failure
				}
				if !t0.Before(start) { // not in the warm-up
					local = append(local, time.Since(t0))
					sent = append(sent, t0.Sub(start))
				}
				if err != nil || code != http.StatusCreated {
					failures++ // in the warm-up too: a failure is never left out
					if len(errs) < 5 {
						errs = append(errs, fmt.Sprintf("status %d err %v", code, err))
					}
					continue
				}
				if cfg.Acked != nil {
					cfg.Acked(eventID)
				}
			}
			mu.Lock()
			if cfg.Timeline != nil {
				for i, l := range local {
					fmt.Fprintf(cfg.Timeline, "%d,%d\n", sent[i].Microseconds(), l.Microseconds())
				}
			}
			latencies = append(latencies, local...)
			res.Failures += failures
			res.FirstErrors = append(res.FirstErrors, errs...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Events = len(latencies)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	res.P50, res.P99, res.P999 = pct(0.50), pct(0.99), pct(0.999)
	if len(res.FirstErrors) > 5 {
		res.FirstErrors = res.FirstErrors[:5]
	}
	return res
}
