package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultMaxConns is how many connections a server holds open by default: each costs a
// goroutine and buffers (tens of KiB), far inside memory and the usual limit of open files.
const DefaultMaxConns = 4096

// ConnLimiter caps the connections a server holds open. At the cap, a new connection closes the
// one that has waited longest without a request in progress (idle between requests, or
// connected and silent), so that idle connections cannot lock other clients out; when every
// connection has a request in progress, the new one is answered 503 and closed. Slow requests
// are the server's timeouts' business (ReadHeaderTimeout, ReadTimeout).
type ConnLimiter struct {
	max   int
	mu    sync.Mutex
	conns map[*limitedConn]struct{}
}

// NewConnLimiter returns a limiter of max connections (DefaultMaxConns when max <= 0). Serve
// with its Listener and set the server's ConnState to its ConnState.
func NewConnLimiter(max int) *ConnLimiter {
	if max <= 0 {
		max = DefaultMaxConns
	}
	return &ConnLimiter{max: max, conns: map[*limitedConn]struct{}{}}
}

// limitedConn is a connection the limiter counts; its fields are guarded by the limiter's mu.
type limitedConn struct {
	net.Conn
	l         *ConnLimiter
	state     http.ConnState
	since     time.Time
	closeOnce sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return err
}

// Open reports how many connections are open.
func (l *ConnLimiter) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// ConnState records each connection's state, for choosing which to close at the cap.
func (l *ConnLimiter) ConnState(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	if state == http.StateClosed || state == http.StateHijacked {
		lc.closeOnce.Do(func() {
			l.mu.Lock()
			delete(l.conns, lc)
			l.mu.Unlock()
		})
		return
	}
	l.mu.Lock()
	lc.state, lc.since = state, time.Now()
	l.mu.Unlock()
}

// Listener wraps ln so that its connections are counted and capped.
func (l *ConnLimiter) Listener(ln net.Listener) net.Listener {
	return &limitedListener{Listener: ln, l: l}
}

type limitedListener struct {
	net.Listener
	l *ConnLimiter
}

func (ln *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc := &limitedConn{Conn: c, l: ln.l, state: http.StateNew, since: time.Now()}
		if ln.l.admit(lc) {
			return lc, nil
		}
		refuseConn(c)
	}
}

// admit counts c in, closing the longest-waiting connection without a request in progress to
// make room at the cap; false if there is none.
func (l *ConnLimiter) admit(c *limitedConn) bool {
	l.mu.Lock()
	var victim *limitedConn
	if len(l.conns) >= l.max {
		for other := range l.conns {
			if (other.state == http.StateIdle || other.state == http.StateNew) && (victim == nil || other.since.Before(victim.since)) {
				victim = other
			}
		}
		if victim == nil {
			l.mu.Unlock()
			return false
		}
		delete(l.conns, victim)
	}
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	if victim != nil {
		victim.Close()
	}
	return true
}

// refusal is the whole answer to a connection over the cap, in Flagright's error shape.
var refusal = func() []byte {
	body := `{"message":"` + overloadedMessage + `"}`
	return []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: " + retryAfterSeconds +
		"\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}()

// refuseConn answers 503 on a fresh connection, best effort (its send buffer is empty, so the
// write does not wait on the client), and closes it.
func refuseConn(c net.Conn) {
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write(refusal)
	c.Close()
}
