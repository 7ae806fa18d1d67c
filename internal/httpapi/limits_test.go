package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// newLimitedServer serves the API on SQLite with limits.
func newLimitedServer(t *testing.T, limits httpapi.Limits) *testServer {
	t.Helper()
	svc, err := vigil.NewService(storetest.Backends(t)[0].Open(t), vigil.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Limits: limits}))
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, key: key}
}

// stalledRequest is a request whose body does not come until finish is called; it holds its
// handler (reading the body) meanwhile.
type stalledRequest struct {
	body   *io.PipeWriter
	status chan int
}

func stall(t *testing.T, s *testServer, path string) *stalledRequest {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", s.key)
	st := &stalledRequest{body: pw, status: make(chan int, 1)}
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			st.status <- 0
			return
		}
		res.Body.Close()
		st.status <- res.StatusCode
	}()
	t.Cleanup(func() { pw.Close() })
	return st
}

// answered reports whether the request was answered before its body came: it found the limit
// held by another request (a test's probe) and was refused, so the test must stall another.
func (st *stalledRequest) answered() bool {
	select {
	case status := <-st.status:
		st.status <- status
		return true
	default:
		return false
	}
}

// finish sends the body and returns the status.
func (st *stalledRequest) finish(body string) int {
	io.WriteString(st.body, body)
	st.body.Close()
	return <-st.status
}

// eventually repeats try until it reports true, for at most 10 s.
func eventually(t *testing.T, what string, try func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !try(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// assertOverloaded checks a 503 answer: Retry-After and Flagright's error shape, nothing else.
func assertOverloaded(t *testing.T, r response) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("got %d with Retry-After %q, want 503 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil || len(body) != 1 || body["message"] == "" {
		t.Fatalf("503 body %s is not {\"message\": ...}", r.body)
	}
}

// TestInFlightCap: past MaxInFlight requests handled at once, the next is refused with 503 at
// once; when a slot frees, requests are served again.
func TestInFlightCap(t *testing.T) {
	s := newLimitedServer(t, httpapi.Limits{MaxInFlight: 1})
	st := stall(t, s, "/consumer/users")
	var refused response
	eventually(t, "a request is refused while another holds the only slot", func() bool {
		if st.answered() {
			st = stall(t, s, "/consumer/users")
		}
		refused = s.get(t, "/healthz")
		return refused.status == http.StatusServiceUnavailable
	})
	assertOverloaded(t, refused)
	if status := st.finish(`{"userId":"u1","createdTimestamp":1700000000000}`); status != http.StatusCreated {
		t.Fatalf("the stalled request: %d, want 201", status)
	}
	// The slot is freed when the stalled request's handler returns, which may be just after its
	// client read an answer too large for the server's write buffer.
	var r response
	eventually(t, "the slot is freed after the stalled request", func() bool {
		r = s.get(t, "/healthz")
		return r.status != http.StatusServiceUnavailable
	})
	if r.status != http.StatusOK {
		t.Fatalf("after the slot freed: %d", r.status)
	}
}

// TestBodyBudget: past MaxBodyInFlight bytes of bodies in flight, a request with a body is
// refused at once; a request without one is still served. A body of unknown length counts the
// single-body limit, and one larger than the budget is taken when nothing else counts.
func TestBodyBudget(t *testing.T) {
	s := newLimitedServer(t, httpapi.Limits{MaxBodyInFlight: 100})
	st := stall(t, s, "/consumer/users")
	var refused response
	eventually(t, "a body is refused while the budget is held", func() bool {
		if st.answered() {
			st = stall(t, s, "/consumer/users")
		}
		// An invalid body holds the budget only for an instant, so the stalled one finds it free.
		refused = s.post(t, "/consumer/users", `not JSON`)
		return refused.status == http.StatusServiceUnavailable
	})
	assertOverloaded(t, refused)
	if r := s.get(t, "/healthz"); r.status != http.StatusOK {
		t.Fatalf("a request without a body while the budget is held: %d", r.status)
	}
	if status := st.finish(`{"userId":"stalled","createdTimestamp":1700000000000}`); status != http.StatusCreated {
		t.Fatalf("the stalled request: %d, want 201", status)
	}
	// The stalled request's budget is freed when its handler returns, which may be just after
	// its client read an answer too large for the server's write buffer.
	var r response
	eventually(t, "the budget is freed after the stalled request", func() bool {
		r = s.post(t, "/consumer/users", `{"userId":"small","createdTimestamp":1700000000000}`)
		return r.status != http.StatusServiceUnavailable
	})
	if r.status != http.StatusCreated {
		t.Fatalf("after the budget freed: %d %s", r.status, r.body)
	}
}

// TestBatchTurns: past MaxBatches batches at once, the next waits BatchWait for a turn and is
// refused with 503; other requests are served meanwhile.
func TestBatchTurns(t *testing.T) {
	s := newLimitedServer(t, httpapi.Limits{MaxBatches: 1, BatchWait: 50 * time.Millisecond})
	st := stall(t, s, "/batch/consumer/users")
	var refused response
	eventually(t, "a batch is refused while another holds the only turn", func() bool {
		if st.answered() {
			st = stall(t, s, "/batch/consumer/users")
		}
		// An invalid batch holds its turn only for an instant, so the stalled one finds it free.
		refused = s.post(t, "/batch/consumer/users", `{"data":"not records"}`)
		return refused.status == http.StatusServiceUnavailable
	})
	assertOverloaded(t, refused)
	if r := s.post(t, "/consumer/users", `{"userId":"single","createdTimestamp":1700000000000}`); r.status != http.StatusCreated {
		t.Fatalf("a single write while the batch turn is taken: %d %s", r.status, r.body)
	}
	if status := st.finish(`{"data":[{"userId":"stalled","createdTimestamp":1700000000000}]}`); status != http.StatusCreated {
		t.Fatalf("the stalled batch: %d, want 201", status)
	}
}

// TestConnLimiter: at the cap, a new connection closes the longest-idle one; when every
// connection has a request in progress, the new one is answered 503 and closed.
func TestConnLimiter(t *testing.T) {
	entered, release := make(chan struct{}, 4), make(chan struct{})
	limiter := httpapi.NewConnLimiter(2)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			entered <- struct{}{}
			<-release
		}
		w.Write([]byte("ok"))
	}))
	srv.Listener = limiter.Listener(srv.Listener)
	srv.Config.ConnState = limiter.ConnState
	srv.Start()
	defer srv.Close()
	defer close(release)
	addr := srv.Listener.Addr().String()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	get := func(c net.Conn, path string) *bufio.Reader {
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
			t.Fatal(err)
		}
		return bufio.NewReader(c)
	}

	oldest := dial()
	eventually(t, "the first connection is counted", func() bool { return limiter.Open() == 1 })
	second := dial()
	eventually(t, "the second connection is counted", func() bool { return limiter.Open() == 2 })
	third := dial()
	res, err := http.ReadResponse(get(third, "/"), nil)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("a connection at the cap with two idle ones: %v %v", res, err)
	}
	oldest.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := oldest.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
		t.Fatalf("the oldest idle connection was not closed: %d %v", n, err)
	}

	// Both open connections busy with a request: the next one is refused.
	get(second, "/block")
	get(third, "/block")
	<-entered
	<-entered
	res, err = http.ReadResponse(bufio.NewReader(dial()), nil)
	if err != nil {
		t.Fatalf("a connection with every connection busy: %v, want a 503 answer", err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || !strings.HasPrefix(string(body), `{"message":`) {
		t.Fatalf("a connection with every connection busy: %d %q %s, want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
