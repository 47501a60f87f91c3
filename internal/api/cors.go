package api

import (
	"net/http"
	"strings"
)

// CORS settings sent to browsers.
const (
	corsAllowHeaders  = "Content-Type, If-Match, X-Api-Key, Authorization"
	corsExposeHeaders = "ETag, Location"
	corsMaxAgeSeconds = "600"
)

// corsPolicy decides which browser origins may call the API. The zero value allows none (no CORS headers).
type corsPolicy struct {
	anyOrigin bool
	origins   map[string]bool
}

func newCORSPolicy(origins []string) corsPolicy {
	var p corsPolicy
	for _, o := range origins {
		if o == "*" {
			p.anyOrigin = true
			continue
		}
		if p.origins == nil {
			p.origins = map[string]bool{}
		}
		p.origins[strings.ToLower(strings.TrimSuffix(o, "/"))] = true
	}
	return p
}

// allowOrigin returns the Access-Control-Allow-Origin value for origin, or "" when it is not allowed.
func (p corsPolicy) allowOrigin(origin string) string {
	switch {
	case origin == "":
		return ""
	case p.anyOrigin:
		return "*"
	case p.origins[strings.ToLower(origin)]:
		return origin
	}
	return ""
}

// apply adds the CORS headers of an actual (non-preflight) response.
func (p corsPolicy) apply(h http.Header, r *reply) {
	if len(p.origins) > 0 {
		r.header("Vary", "Origin") // the answer depends on Origin, for caches in between
	}
	allow := p.allowOrigin(h.Get("Origin"))
	if allow == "" {
		return
	}
	r.header("Access-Control-Allow-Origin", allow)
	r.header("Access-Control-Expose-Headers", corsExposeHeaders)
}

// preflight answers OPTIONS on a known route: 204 with Allow and, for an allowed origin asking
// Access-Control-Request-Method, the preflight headers.
func (p corsPolicy) preflight(h http.Header, methods string) reply {
	r := reply{status: http.StatusNoContent}
	r.header("Allow", methods)
	if len(p.origins) > 0 {
		r.header("Vary", "Origin")
	}
	allow := p.allowOrigin(h.Get("Origin"))
	if allow == "" || h.Get("Access-Control-Request-Method") == "" {
		return r
	}
	r.header("Access-Control-Allow-Origin", allow)
	r.header("Access-Control-Allow-Methods", methods)
	r.header("Access-Control-Allow-Headers", corsAllowHeaders)
	r.header("Access-Control-Max-Age", corsMaxAgeSeconds)
	return r
}
