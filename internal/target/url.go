package target

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AddrChecker judges a literal IP address (netguard.Policy implements it).
type AddrChecker interface {
	CheckAddr(ip netip.Addr) error
}

// CheckURL parses raw, applies the URL rules and returns it normalized:
// scheme and host lower-cased, default port and fragment dropped, empty path made "/".
// A host that is a literal IP address is judged by policy (nil policy: no address check).
func CheckURL(raw string, policy AddrChecker) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return nil, invalid("url", "is required")
	case len(raw) > MaxURLLength:
		return nil, invalid("url", "must be at most %d bytes", MaxURLLength)
	case !utf8.ValidString(raw):
		return nil, invalid("url", "must be valid UTF-8")
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f || r == ' ' {
			return nil, invalid("url", "must not contain spaces or control characters")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		msg := err.Error()
		if errors.As(err, &uerr) {
			msg = uerr.Err.Error()
		}
		return nil, invalid("url", "is not a valid URL: %s", msg)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, invalid("url", "scheme must be http or https")
	}
	if u.Opaque != "" {
		return nil, invalid("url", "must be an absolute http(s) URL with a host (scheme://host/...)")
	}
	if u.User != nil {
		return nil, invalid("url", "must not contain user information (user:password@)")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return nil, invalid("url", "must have a host")
	}
	port := u.Port()
	if port != "" {
		if !validPort(port) {
			return nil, invalid("url", "port %q is not a number between 1 and 65535", port)
		}
		if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
			port = ""
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return nil, invalid("url", "IPv6 zone identifiers are not allowed")
		}
		if policy != nil {
			if err := policy.CheckAddr(ip); err != nil {
				return nil, invalid("url", "host %s is not allowed: %s", host, reason(err))
			}
		}
	} else if err := checkHostname(host, u.Host); err != nil {
		return nil, err
	}

	hostport := host
	if strings.Contains(host, ":") { // IPv6 literal
		hostport = "[" + host + "]"
	}
	if port != "" {
		hostport += ":" + port
	}
	u.Host = hostport
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	return u, nil
}

func reason(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

func validPort(p string) bool {
	if len(p) == 0 || len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= 1 && n <= 65535
}

// NormalizeURL returns the normalized form of raw without any address policy.
func NormalizeURL(raw string) (string, error) {
	u, err := CheckURL(raw, nil)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// URLKey is the uniqueness key of a normalized URL: two targets may not share it.
func URLKey(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(sum[:])
}

// numericHost matches the inet_aton forms: one to four labels each decimal, octal or 0x-hex.
var numericHost = regexp.MustCompile(`^((0x[0-9a-f]*|[0-9]+)\.){0,3}(0x[0-9a-f]*|[0-9]+)\.?$`)

// checkHostname accepts DNS names (IDN letters included) and refuses what only looks like an address:
// brackets that did not parse as IPv6, and numeric forms such as 127.1 or 0x7f.0.0.1 that some
// resolvers read as IPv4 addresses.
func checkHostname(host, rawHost string) error {
	if strings.HasPrefix(rawHost, "[") {
		return invalid("url", "host %q is not a valid IPv6 address", host)
	}
	if len(host) > 253 {
		return invalid("url", "host name must be at most 253 characters")
	}
	for _, r := range host {
		switch {
		case r == '.' || r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
		default:
			return invalid("url", "host %q contains %q, which is not allowed in a host name", host, r)
		}
	}
	if strings.HasPrefix(host, ".") || strings.Contains(host, "..") {
		return invalid("url", "host %q has an empty label", host)
	}
	if numericHost.MatchString(host) {
		return invalid("url", "host %q looks like a numeric address but is not a valid IP address", host)
	}
	return nil
}
