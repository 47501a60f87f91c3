package target

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// AddrChecker judges a literal IP address (netguard.Policy implements it).
type AddrChecker interface {
	CheckAddr(ip netip.Addr) error
}

// hostProfile maps a host name as browsers do (WHATWG URL "domain to ASCII"): UTS-46 mapping,
// non-transitional, joiner and bidi rules; hyphen and STD3 rules off, so names such as
// r3---sn-x.example and host_name.example stay valid (the character rules are checkHostname's).
// Built per call rather than held in a package variable, so binaries that never check a URL (the
// crawler, the alarm logger) link only what the idna packages' init needs, not the mapping tables.
func hostProfile() *idna.Profile {
	return idna.New(
		idna.MapForLookup(),
		idna.BidiRule(),
		idna.Transitional(false),
		idna.StrictDomainName(false),
		idna.CheckHyphens(false),
	)
}

// CheckURL parses raw, applies the URL rules and returns it normalized: scheme and host lower-cased,
// the host mapped by UTS-46 (fullwidth and other compatibility forms, ideographic full stops) to its
// ASCII form without a trailing dot, default port and fragment dropped, empty path made "/",
// percent-escapes of unreserved characters decoded and the hex of the others upper-cased.
// A host that is a literal IP address after mapping is judged by policy (nil policy: no address check).
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
	u, err := url.Parse(decodeAuthority(raw))
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
	if u.Hostname() == "" {
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
	host, err := checkHost(u.Hostname(), strings.HasPrefix(u.Host, "["), policy)
	if err != nil {
		return nil, err
	}
	path, err := normalizeEscapes(rawPath(u), pathChars)
	if err != nil {
		return nil, invalid("url", "path %s", err)
	}
	query, err := normalizeEscapes(u.RawQuery, queryChars)
	if err != nil {
		return nil, invalid("url", "query %s", err)
	}

	if port != "" {
		host += ":" + port
	}
	u.Host = host
	if path == "" {
		path = "/"
	}
	u.Path, err = url.PathUnescape(path)
	if err != nil { // unreachable: normalizeEscapes leaves only well-formed escapes
		return nil, invalid("url", "path is not a valid URL path: %s", err)
	}
	u.RawPath = path
	u.RawQuery = query
	u.Fragment, u.RawFragment = "", ""
	// Escaping and punycode can lengthen a URL: the limit holds for what is stored too
	// (u.String()'s length, counted without building it).
	n := len(u.Scheme) + len("://") + len(u.Host) + len(u.RawPath)
	if u.ForceQuery || u.RawQuery != "" {
		n += 1 + len(u.RawQuery)
	}
	if n > MaxURLLength {
		return nil, invalid("url", "must be at most %d bytes once normalized (escaped, host in ASCII): it is %d", MaxURLLength, n)
	}
	return u, nil
}

// checkHost returns the canonical host (IPv6 in brackets) or the reason it is refused.
// The canonical form of a name is ASCII (punycode): what DNS, the Host header and SNI carry, and
// one spelling for both the xn-- and the Unicode input of a name.
func checkHost(host string, bracketed bool, policy AddrChecker) (string, error) {
	if bracketed {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.Is6() {
			return "", invalid("url", "host %q is not a valid IPv6 address", host)
		}
		if ip.Zone() != "" {
			return "", invalid("url", "IPv6 zone identifiers are not allowed")
		}
		if err := checkAddr(ip, host, host, policy); err != nil {
			return "", err
		}
		if ip.Is4In6() { // the same address as its IPv4 form, so the same target
			return ip.Unmap().String(), nil
		}
		return "[" + ip.String() + "]", nil
	}
	if !utf8.ValidString(host) {
		return "", invalid("url", "host must be valid UTF-8")
	}
	mapped, err := mapHost(host)
	if err != nil {
		return "", err
	}
	if mapped == "" {
		return "", invalid("url", "must have a host")
	}
	// An IPv6 address needs brackets: a mapped "1::1" is left to checkHostname, which refuses ':'.
	if ip, err := netip.ParseAddr(mapped); err == nil && ip.Is4() {
		return ip.String(), checkAddr(ip, host, mapped, policy)
	}
	return mapped, checkHostname(host, mapped)
}

// mapHost applies UTS-46 to host and drops one trailing dot (the root label: example.com. is
// example.com).
func mapHost(host string) (string, error) {
	if plainASCII(host) { // what UTS-46 does to it, without building a profile (FuzzMapHostASCII)
		return strings.TrimSuffix(strings.ToLower(host), "."), nil
	}
	return mapHostIDNA(host)
}

// plainASCII: printable ASCII with no xn-- label, which UTS-46 (STD3 rules off) only lower-cases.
func plainASCII(host string) bool {
	for i := range len(host) {
		if c := host[i]; c <= ' ' || c >= utf8.RuneSelf {
			return false
		}
	}
	for label := range strings.SplitSeq(host, ".") {
		if len(label) >= 4 && strings.EqualFold(label[:4], "xn--") {
			return false
		}
	}
	return true
}

// mapHostIDNA is mapHost by the IDNA profile. Mapping the result again must give it back, else the
// host is refused: unassigned code points map to U+FFFD without an error, which would make many hosts one.
func mapHostIDNA(host string) (string, error) {
	p := hostProfile()
	ascii, err := p.ToASCII(host)
	if err == nil {
		var again string
		if again, err = p.ToASCII(ascii); err == nil && again != ascii {
			err = fmt.Errorf("maps to %s, which is not stable", ascii)
		}
	}
	if err != nil {
		return "", invalid("url", "host %q is not a valid domain name: %s", host, strings.TrimPrefix(err.Error(), "idna: "))
	}
	return strings.TrimSuffix(ascii, "."), nil
}

// spelled names a host in messages: as sent, and as read when mapping changed more than its case.
func spelled(host, mapped string) string {
	if strings.ToLower(host) == mapped {
		return strconv.Quote(mapped)
	}
	return fmt.Sprintf("%q (read as %q)", host, mapped)
}

// checkAddr judges the address ip that host (mapped: as read) names.
func checkAddr(ip netip.Addr, host, mapped string, policy AddrChecker) error {
	if policy == nil {
		return nil
	}
	if err := policy.CheckAddr(ip); err != nil {
		return invalid("url", "host %s is not allowed: %s", spelled(host, mapped), reason(err))
	}
	return nil
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

// DisplayHost is the host of a normalized URL as people read it: an IDN in Unicode, anything else as is.
func DisplayHost(u *url.URL) string {
	host := u.Hostname()
	if !strings.Contains(host, "xn--") {
		return host
	}
	if uni, err := hostProfile().ToUnicode(host); err == nil {
		return uni
	}
	return host
}

// numericHost matches the inet_aton forms: one to four labels each decimal, octal or 0x-hex.
var numericHost = regexp.MustCompile(`^((0x[0-9a-f]*|[0-9]+)\.){0,3}(0x[0-9a-f]*|[0-9]+)\.?$`)

// checkHostname judges a mapped (ASCII, lower-case) host name: letters, digits, '-', '_' and dots,
// labels of 1 to 63 characters, at most 253 in all, and nothing that only looks like an address:
// numeric forms such as 127.1 or 0x7f.0.0.1 that some resolvers read as IPv4 addresses.
// raw is the host as sent, for messages.
func checkHostname(raw, host string) error {
	if len(host) > 253 {
		return invalid("url", "host name must be at most 253 characters")
	}
	for _, r := range host {
		switch {
		case r == '.' || r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
		default:
			return invalid("url", "host %s contains %q, which is not allowed in a host name", spelled(raw, host), r)
		}
	}
	for label := range strings.SplitSeq(host, ".") {
		switch {
		case label == "":
			return invalid("url", "host %s has an empty label", spelled(raw, host))
		case len(label) > 63:
			return invalid("url", "host %s has a label longer than 63 characters", spelled(raw, host))
		}
	}
	if numericHost.MatchString(host) {
		return invalid("url", "host %s looks like a numeric address but is not a valid IP address", spelled(raw, host))
	}
	return nil
}

// decodeAuthority decodes percent-escapes of unreserved characters in the authority of raw
// (ex%61mple.com is example.com), which url.Parse would refuse; other escapes are left to it.
// Unreserved characters are no delimiters, so decoding them cannot change how raw parses.
func decodeAuthority(raw string) string {
	i := strings.Index(raw, "://")
	if i <= 0 || strings.ContainsAny(raw[:i], "/?#") {
		return raw
	}
	start := i + 3
	end := len(raw)
	if j := strings.IndexAny(raw[start:], "/?#"); j >= 0 {
		end = start + j
	}
	auth := raw[start:end]
	if !strings.Contains(auth, "%") {
		return raw
	}
	var b strings.Builder
	for k := 0; k < len(auth); k++ {
		if c, ok := unreservedEscape(auth, k); ok {
			b.WriteByte(c)
			k += 2
			continue
		}
		b.WriteByte(auth[k])
	}
	return raw[:start] + b.String() + raw[end:]
}

// rawPath is the path of u as sent: RawPath when url.Parse kept it, else Path's default escaping
// (which is then what was sent, url.URL's invariant).
func rawPath(u *url.URL) string {
	if u.RawPath != "" {
		return u.RawPath
	}
	return u.EscapedPath()
}

// Characters a path or a query may carry unescaped (RFC 3986 3.3, 3.4): besides the unreserved ones,
// the sub-delimiters, ':' and '@', '/' and, in a query, '?'.
const (
	pathChars  = "!$&'()*+,;=:@/"
	queryChars = pathChars + "?"
)

// normalizeEscapes puts a raw path or query in the normal form of RFC 3986 6.2.2: escapes of
// unreserved characters decoded (%7E is ~), the hex of other escapes upper-cased, and characters
// that may not appear unescaped (non-ASCII bytes, '[', '"', ...) escaped. Reserved escapes such as
// %2F stay escaped: they mean something else than the character.
func normalizeEscapes(s, allowed string) (string, error) {
	if isNormal(s, allowed) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				end := min(i+3, len(s))
				return "", fmt.Errorf("has an invalid percent-escape %q (a %% starts two hex digits)", s[i:end])
			}
			if d, ok := unreservedEscape(s, i); ok {
				b.WriteByte(d)
			} else {
				b.WriteString(strings.ToUpper(s[i : i+3]))
			}
			i += 2
		case isUnreserved(c) || strings.IndexByte(allowed, c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String(), nil
}

// isNormal reports whether normalizeEscapes would return s as it is.
func isNormal(s, allowed string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) || isLowerHex(s[i+1]) || isLowerHex(s[i+2]) {
				return false
			}
			if _, unreserved := unreservedEscape(s, i); unreserved {
				return false
			}
			i += 2
		case isUnreserved(c) || strings.IndexByte(allowed, c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isLowerHex(c byte) bool { return c >= 'a' && c <= 'f' }

// unreservedEscape reports the character of the escape at s[i] when it is well formed and unreserved.
func unreservedEscape(s string, i int) (byte, bool) {
	if s[i] != '%' || i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
		return 0, false
	}
	c := unhex(s[i+1])<<4 | unhex(s[i+2])
	return c, isUnreserved(c)
}

// isUnreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 2.3).
func isUnreserved(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	default:
		return c - '0'
	}
}
