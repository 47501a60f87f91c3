// Package loopback guards the local runtime's servers, which listen on loopback without any
// authentication: a request whose Host is not the server's own address is refused (a web page's name
// rebound to 127.0.0.1), and so is a cross-site request from a page in the user's browser (a foreign
// Origin or Sec-Fetch-Site) wherever no browser has business.
package loopback

import (
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Guard knows the names a listener answers to.
type Guard struct {
	hosts   map[string]bool // "127.0.0.1:4567", "localhost:4567", ...
	origins map[string]bool // "http://127.0.0.1:4567", ...
}

// New returns the guard of a listener bound to addr (a loopback TCP address).
func New(addr net.Addr) Guard {
	g := Guard{hosts: map[string]bool{}, origins: map[string]bool{}}
	port := ""
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
	} else if _, p, err := net.SplitHostPort(addr.String()); err == nil {
		port = p
	}
	for _, name := range []string{"127.0.0.1", "localhost", "[::1]"} {
		g.hosts[name+":"+port] = true
	}
	g.hosts[strings.ToLower(addr.String())] = true
	for h := range g.hosts {
		g.origins["http://"+h] = true
	}
	return g
}

// Wrap refuses, with 403, requests to another host, and cross-site requests unless crossSiteOK says the
// request may come from a page of another origin (an API stage, whose CORS the function answers).
func (g Guard) Wrap(next http.Handler, crossSiteOK func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.hosts[strings.ToLower(r.Host)] {
			refuse(w, "the local runtime answers only requests addressed to its own loopback address")
			return
		}
		if g.crossSite(r) && (crossSiteOK == nil || !crossSiteOK(r)) {
			refuse(w, "the local runtime's control and invoke endpoints do not answer cross-site requests")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// crossSite reports whether a browser sent r on behalf of a page of another origin.
func (g Guard) crossSite(r *http.Request) bool {
	if origin, ok := r.Header["Origin"]; ok && (len(origin) != 1 || !g.origins[strings.ToLower(origin[0])]) {
		return true
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return false
	}
	return true
}

func refuse(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`{"message":"` + msg + `"}` + "\n"))
}
