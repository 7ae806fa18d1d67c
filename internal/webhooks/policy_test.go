package webhooks_test

import (
	"net/netip"
	"testing"

	"github.com/vigil-aml/vigil/internal/webhooks"
)

func prefixes(list ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range list {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

// TestDefaultPolicyRefusesEveryInternalClass checks each class of address the built-in list
// refuses, that a public address passes, and that an allow range opens the class.
func TestDefaultPolicyRefusesEveryInternalClass(t *testing.T) {
	for _, tt := range []struct {
		class, addr string
		open        string // an allow range that opens it
	}{
		{"loopback", "127.0.0.1", "127.0.0.1/32"},
		{"loopback, elsewhere in 127/8", "127.1.2.3", "127.0.0.0/8"},
		{"loopback IPv6", "::1", "::1/128"},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", "127.0.0.1/32"},
		{"IPv4-mapped loopback, opened as mapped", "::ffff:127.0.0.1", "::ffff:127.0.0.1/128"},
		{"private 10/8", "10.1.2.3", "10.0.0.0/8"},
		{"private 172.16/12", "172.31.255.1", "172.16.0.0/12"},
		{"private 192.168/16", "192.168.1.10", "192.168.1.0/24"},
		{"IPv4-mapped private", "::ffff:10.0.0.1", "10.0.0.0/8"},
		{"link-local", "169.254.10.20", "169.254.0.0/16"},
		{"link-local IPv6", "fe80::1", "fe80::/10"},
		{"link-local IPv6 with a zone", "fe80::1%eth0", "fe80::/10"},
		{"carrier-grade NAT", "100.64.0.1", "100.64.0.0/10"},
		{"unique-local IPv6", "fd12:3456::1", "fc00::/7"},
		{"unspecified", "0.0.0.0", "0.0.0.0/32"},
		{"unspecified IPv6", "::", "::/128"},
		{"AWS, GCP and Azure metadata", "169.254.169.254", "169.254.169.254/32"},
		{"IPv4-mapped metadata", "::ffff:169.254.169.254", "169.254.169.254/32"},
		{"AWS metadata IPv6", "fd00:ec2::254", "fd00:ec2::254/128"},
		{"ECS task metadata", "169.254.170.2", "169.254.170.2/32"},
		{"Alibaba metadata", "100.100.100.200", "100.100.100.200/32"},
		{"Azure platform", "168.63.129.16", "168.63.129.16/32"},
		{"NAT64 to loopback", "64:ff9b::7f00:1", "127.0.0.1/32"},
		{"6to4 to private", "2002:0a00:0001::1", "10.0.0.0/8"},
		{"multicast", "239.1.1.1", "224.0.0.0/4"},
		{"broadcast", "255.255.255.255", "255.255.255.255/32"},
	} {
		t.Run(tt.class, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			if webhooks.NewPolicy(nil, nil).Permits(addr) {
				t.Fatalf("%s is permitted by default", addr)
			}
			if !webhooks.NewPolicy(prefixes(tt.open), nil).Permits(addr) {
				t.Fatalf("%s is refused with --webhook-allow %s", addr, tt.open)
			}
		})
	}
}

// TestPolicyCombinesAllowAndDeny checks the rule: the most specific range decides; at equal
// length an operator's deny beats an allow, which beats the built-in list.
func TestPolicyCombinesAllowAndDeny(t *testing.T) {
	for _, tt := range []struct {
		name        string
		allow, deny []string
		addr        string
		want        bool
	}{
		{"a public address is permitted by default", nil, nil, "93.184.216.34", true},
		{"a public IPv6 address is permitted by default", nil, nil, "2606:2800:220:1::1", true},
		{"NAT64 to a public address is permitted", nil, nil, "64:ff9b::5db8:d822", true},
		{"allowing everything does not open the built-in list", []string{"0.0.0.0/0"}, nil, "127.0.0.1", false},
		{"allowing a network does not open a metadata address inside it", []string{"169.254.0.0/16"}, nil, "169.254.169.254", false},
		{"allowing a network opens the rest of it", []string{"169.254.0.0/16"}, nil, "169.254.1.1", true},
		{"opening one address leaves its neighbours refused", []string{"127.0.0.1/32"}, nil, "127.0.0.2", false},
		{"deny refuses a public address", nil, []string{"93.184.216.0/24"}, "93.184.216.34", false},
		{"deny beats an allow of the same range", []string{"10.0.0.0/8"}, []string{"10.0.0.0/8"}, "10.1.1.1", false},
		{"a narrower allow beats a wider deny", []string{"10.1.0.0/16"}, []string{"10.0.0.0/8"}, "10.1.1.1", true},
		{"a narrower deny beats a wider allow", []string{"10.0.0.0/8"}, []string{"10.9.0.0/16"}, "10.9.1.1", false},
		{"only the allowed range: deny everything, allow one", []string{"203.0.113.0/24"}, []string{"0.0.0.0/0", "::/0"}, "203.0.113.7", true},
		{"only the allowed range: the rest is refused", []string{"203.0.113.0/24"}, []string{"0.0.0.0/0", "::/0"}, "93.184.216.34", false},
		{"a mapped deny range refuses the IPv4 address", nil, []string{"::ffff:93.184.216.0/120"}, "93.184.216.34", false},
		{"NAT64 to a denied public address is refused", nil, []string{"93.184.216.0/24"}, "64:ff9b::5db8:d822", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := webhooks.NewPolicy(prefixes(tt.allow...), prefixes(tt.deny...))
			if got := p.Permits(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Fatalf("Permits(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}
