package webhooks_test

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// fakeDNS is a real DNS server on a loopback UDP port that answers A queries for names under
// one domain with an address the test can change, and NXDOMAIN for every other name; Resolver
// sends every lookup to it.
type fakeDNS struct {
	conn   net.PacketConn
	domain string
	mu     sync.Mutex
	addr   netip.Addr
}

func newFakeDNS(t *testing.T, domain string) *fakeDNS {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDNS{conn: conn, domain: domain}
	t.Cleanup(func() { conn.Close() })
	go f.serve()
	return f
}

// answer sets the address the domain's names resolve to.
func (f *fakeDNS) answer(addr string) {
	f.mu.Lock()
	f.addr = netip.MustParseAddr(addr)
	f.mu.Unlock()
}

// Resolver is a resolver that asks only this server.
func (f *fakeDNS) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", f.conn.LocalAddr().String())
	}}
}

func (f *fakeDNS) serve() {
	buf := make([]byte, 512)
	for {
		n, from, err := f.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply := f.reply(buf[:n]); reply != nil {
			f.conn.WriteTo(reply, from)
		}
	}
}

// reply answers a one-question query (RFC 1035 section 4.1).
func (f *fakeDNS) reply(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	// The question's name: labels up to a zero byte, then type and class.
	end := 12
	var labels []string
	for end < len(q) && q[end] != 0 {
		l := int(q[end])
		if end+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[end+1:end+1+l]))
		end += 1 + l
	}
	end += 5 // the zero byte, type, class
	if end > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[end-4:])
	name := strings.ToLower(strings.Join(labels, "."))
	f.mu.Lock()
	addr := f.addr
	f.mu.Unlock()

	out := append([]byte{}, q[:end]...)
	out[2], out[3] = 0x81, 0x80 // a response, recursion desired and available, no error
	binary.BigEndian.PutUint16(out[6:], 0)
	binary.BigEndian.PutUint16(out[8:], 0)
	binary.BigEndian.PutUint16(out[10:], 0)
	if !strings.HasSuffix(name, f.domain) {
		out[3] |= 3 // NXDOMAIN
		return out
	}
	if qtype == 1 && addr.Is4() { // A
		binary.BigEndian.PutUint16(out[6:], 1)
		ip := addr.As4()
		out = append(out, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4)
		out = append(out, ip[:]...)
	}
	return out
}
