package probe

import "strings"

// UserAgent is the User-Agent of the crawler's probes: the product, its version and the region that
// probes, so a site owner can tell webhealth's probes apart, per region, and allow-list them, e.g.
// "webhealth/1.4.0 (region eu-west-1; +https://github.com/webhealth/webhealth)". A version or region
// with characters outside a token's (a header must not carry them) is left out rather than sent.
func UserAgent(version, region string) string {
	ua := "webhealth"
	if isToken(version, "._+-") {
		ua += "/" + version
	}
	if isToken(region, "-") {
		return ua + " (region " + region + "; +https://github.com/webhealth/webhealth)"
	}
	return ua + " (+https://github.com/webhealth/webhealth)"
}

// isToken reports whether s is 1-64 ASCII letters, digits and the extra characters.
func isToken(s, extra string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return true
}
