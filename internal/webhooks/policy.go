package webhooks

import (
	"net/netip"
)

// Range is a network the built-in policy refuses, with what it is.
type Range struct {
	Prefix netip.Prefix
	What   string
}

func r(prefix, what string) Range { return Range{netip.MustParsePrefix(prefix), what} }

// DefaultDenied are the networks deliveries may not connect to unless an operator's allow range
// opens them: addresses that reach the host itself, its private networks or its cloud's
// metadata service rather than a tenant's receiver on the internet. The metadata addresses are
// listed on their own, so that opening the network around one (169.254.0.0/16) does not open it.
var DefaultDenied = []Range{
	r("0.0.0.0/8", "unspecified (\"this network\"; 0.0.0.0 reaches the local host on Linux)"),
	r("10.0.0.0/8", "private (RFC 1918)"),
	r("100.64.0.0/10", "carrier-grade NAT (RFC 6598), used inside some clouds and VPNs"),
	r("127.0.0.0/8", "loopback"),
	r("169.254.0.0/16", "link-local"),
	r("172.16.0.0/12", "private (RFC 1918)"),
	r("192.0.0.0/24", "IETF protocol assignments"),
	r("192.168.0.0/16", "private (RFC 1918)"),
	r("198.18.0.0/15", "benchmarking (RFC 2544), used for internal networks"),
	r("224.0.0.0/4", "multicast"),
	r("240.0.0.0/4", "reserved, and broadcast"),
	r("::/128", "unspecified"),
	r("::1/128", "loopback"),
	r("::/96", "IPv4-compatible (deprecated)"),
	r("64:ff9b:1::/48", "local-use NAT64"),
	r("100::/64", "discard-only"),
	r("2001::/32", "Teredo"),
	r("fc00::/7", "unique-local"),
	r("fe80::/10", "link-local"),
	r("fec0::/10", "site-local (deprecated)"),
	r("ff00::/8", "multicast"),
	// Cloud metadata and platform services.
	r("169.254.169.254/32", "cloud metadata (AWS, GCP, Azure, Oracle, DigitalOcean, ...)"),
	r("169.254.170.2/32", "AWS ECS task metadata"),
	r("100.100.100.200/32", "Alibaba Cloud metadata"),
	r("168.63.129.16/32", "Azure platform (WireServer)"),
	r("fd00:ec2::254/128", "AWS metadata (IPv6)"),
}

// Policy decides which addresses deliveries may connect to. The most specific range containing
// an address decides: an operator's deny range refuses it, an operator's allow range permits
// it, a DefaultDenied range refuses it. When ranges of equal length contain it, deny beats
// allow and allow beats the built-in list. An address no range contains is permitted.
//
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry, and so are the IPv4
// addresses inside NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses, which both have to
// be permitted.
type Policy struct {
	allow, deny []netip.Prefix
}

// NewPolicy builds a policy from an operator's allow and deny ranges.
func NewPolicy(allow, deny []netip.Prefix) Policy {
	return Policy{allow: normalise(allow), deny: normalise(deny)}
}

// normalise writes IPv4-mapped ranges (::ffff:10.0.0.0/104) as the IPv4 ranges they are, since
// addresses are unmapped before they are judged.
func normalise(ps []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out
}

// Permits reports whether deliveries may connect to addr.
func (p Policy) Permits(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	if !p.permitsOne(addr) {
		return false
	}
	if inner, ok := embeddedIPv4(addr); ok {
		return p.permitsOne(inner)
	}
	return true
}

// verdict ranks a decision of equal specificity: a higher one wins.
type verdict int

const (
	none verdict = iota
	builtinDeny
	operatorAllow
	operatorDeny
)

func (p Policy) permitsOne(addr netip.Addr) bool {
	bestBits, best := -1, none
	consider := func(prefix netip.Prefix, v verdict) {
		if prefix.Contains(addr) && (prefix.Bits() > bestBits || prefix.Bits() == bestBits && v > best) {
			bestBits, best = prefix.Bits(), v
		}
	}
	for _, r := range DefaultDenied {
		consider(r.Prefix, builtinDeny)
	}
	for _, prefix := range p.allow {
		consider(prefix, operatorAllow)
	}
	for _, prefix := range p.deny {
		consider(prefix, operatorDeny)
	}
	return best == none || best == operatorAllow
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// embeddedIPv4 is the IPv4 address an IPv6 address is a gateway to: NAT64 translates its last
// 32 bits, 6to4 tunnels to the 32 bits after the prefix.
func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	b := addr.As16()
	switch {
	case !addr.Is6():
		return netip.Addr{}, false
	case nat64.Contains(addr):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}
