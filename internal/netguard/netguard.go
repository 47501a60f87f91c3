// Package netguard decides which network addresses webhealth may connect to.
//
// One policy serves two places: the URL API refuses targets whose host is a literal address
// in a refused range, and the crawler's dialer checks every resolved address at connect time
// (so DNS rebinding and redirects into internal networks are refused too).
//
// The public-internet policy is code.dny.dev/ssrf's: every IANA special-purpose range is refused
// (loopback, RFC 1918, link-local, CGNAT, multicast, unspecified, documentation...), and for IPv6
// everything outside global unicast (so ::1, fc00::/7 and fe80::/10 too). With private targets
// allowed (local and development stacks only), loopback, private, CGNAT, link-local and ULA
// ranges are let through, but cloud metadata endpoints stay refused whatever the setting.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"code.dny.dev/ssrf"
)

// ErrMetadata is returned for a cloud instance/task metadata address, refused always.
var ErrMetadata = errors.New("cloud metadata address")

// ErrProhibited is returned for any other refused address.
var ErrProhibited = errors.New("prohibited address")

// metadataPrefixes are refused whatever the configuration: the EC2 instance metadata service
// (IPv4 and IPv6), the Amazon-provided DNS and time addresses on link-local, and the ECS/EKS
// task credential endpoints.
var metadataPrefixes = []netip.Prefix{
	netip.MustParsePrefix("169.254.169.254/32"), // EC2 IMDS
	netip.MustParsePrefix("169.254.169.253/32"), // Amazon DNS
	netip.MustParsePrefix("169.254.169.123/32"), // Amazon Time Sync
	netip.MustParsePrefix("169.254.170.2/32"),   // ECS task metadata/credentials
	netip.MustParsePrefix("169.254.170.23/32"),  // EKS Pod Identity agent
	netip.MustParsePrefix("fd00:ec2::254/128"),  // EC2 IMDS over IPv6
	netip.MustParsePrefix("fd00:ec2::253/128"),  // Amazon DNS over IPv6
	netip.MustParsePrefix("fd00:ec2::123/128"),  // Amazon Time Sync over IPv6
	netip.MustParsePrefix("fd00:ec2::23/128"),   // EKS Pod Identity agent over IPv6
}

// privateV4 and privateV6 are the ranges a local/dev stack may reach when private targets are allowed.
var (
	privateV4 = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("169.254.0.0/16"),
	}
	privateV6 = []netip.Prefix{
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("fc00::/7"),
		netip.MustParsePrefix("fe80::/10"),
	}
)

// Policy is an immutable address policy, safe for concurrent use.
type Policy struct {
	allowPrivate bool
	guardian     *ssrf.Guardian
}

// New returns the policy; allowPrivate lets loopback/private/link-local/ULA through (never metadata).
// Any port is allowed: monitored services often listen on 8080 or 8443.
func New(allowPrivate bool) *Policy {
	opts := []ssrf.Option{ssrf.WithAnyPort(), ssrf.WithNetworks("tcp4", "tcp6")}
	if allowPrivate {
		opts = append(opts, ssrf.WithAllowedV4Prefixes(privateV4...), ssrf.WithAllowedV6Prefixes(privateV6...))
	}
	return &Policy{allowPrivate: allowPrivate, guardian: ssrf.New(opts...)}
}

// AllowsPrivate reports whether private targets are allowed.
func (p *Policy) AllowsPrivate() bool { return p.allowPrivate }

// IsMetadata reports whether ip is a cloud metadata address (IPv4-mapped IPv6 forms included).
func IsMetadata(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, pfx := range metadataPrefixes {
		if pfx.Contains(ip) {
			return true
		}
	}
	return false
}

// CheckAddr returns nil when ip may be connected to, else an error wrapping ErrMetadata or ErrProhibited.
func (p *Policy) CheckAddr(ip netip.Addr) error {
	if IsMetadata(ip) {
		return fmt.Errorf("%w: %s is refused always", ErrMetadata, ip.Unmap())
	}
	// IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it carries.
	if err := p.guardian.SafeAddr(ip.Unmap()); err != nil {
		return fmt.Errorf("%w: %s is in a refused range", ErrProhibited, ip.Unmap())
	}
	return nil
}

// Control is a net.Dialer Control function: it checks the address actually being dialled,
// after DNS resolution, for every connection (redirect hops included).
func (p *Policy) Control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %q is not allowed", ErrProhibited, network)
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: bad address %q: %v", ErrProhibited, address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: address %q is not an IP: %v", ErrProhibited, host, err)
	}
	return p.CheckAddr(ip.WithZone(""))
}
