package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/target"
)

// newProber builds a Prober for tests: a short retry delay and the given guard.
func newProber(t testing.TB, guard Guard, mods ...func(*Options)) *Prober {
	t.Helper()
	opts := Options{
		Guard:        guard,
		MaxBodyBytes: 1 << 20,
		MaxRedirects: 5,
		RetryDelay:   10 * time.Millisecond,
		UserAgent:    "webhealth/test",
	}
	for _, m := range mods {
		m(&opts)
	}
	p, err := New(opts)
	require.NoError(t, err)
	return p
}

// check probes tg and judges it, as the crawler does.
func check(p *Prober, ctx context.Context, tg target.Target) (target.Observation, target.LastCheck) {
	obs := p.Probe(ctx, tg)
	return obs, target.Judge(tg, obs)
}

// privateOK is the policy of a local stack: loopback allowed (test servers listen there), metadata refused.
func privateOK() Guard { return netguard.New(true) }

// tgt is a target with the API's defaults, adjusted by mods.
func tgt(rawURL string, mods ...func(*target.Target)) target.Target {
	t := target.Target{
		ID: "0f8fad5bd9cb469fa16570867728950e", URL: rawURL, Enabled: true, ExpectedStatus: []int{200},
		LatencyThresholdMS: 1000, TimeoutMS: 5000, Method: http.MethodGet,
	}
	for _, m := range mods {
		m(&t)
	}
	return t
}

// httpbinServer serves go-httpbin on loopback.
func httpbinServer(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(httpbin.New())
	t.Cleanup(srv.Close)
	return srv
}

// countingServer serves h and counts the TCP connections it accepted.
type countingServer struct {
	*httptest.Server
	conns atomic.Int64
}

func newCountingServer(t testing.TB, h http.Handler) *countingServer {
	t.Helper()
	return newCountingServerOn(t, nil, h)
}

// newCountingServerOn is newCountingServer on a given listener (nil: a new IPv4 loopback one).
func newCountingServerOn(t testing.TB, l net.Listener, h http.Handler) *countingServer {
	t.Helper()
	cs := &countingServer{Server: httptest.NewUnstartedServer(h)}
	if l != nil {
		cs.Listener.Close()
		cs.Listener = l
	}
	cs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			cs.conns.Add(1)
		}
	}
	cs.Start()
	t.Cleanup(cs.Close)
	return cs
}

// hangingServer accepts requests and never answers until the test ends (or the client goes away).
func hangingServer(t testing.TB) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: handlers return, then Close does not block
	return srv
}

// fixedResolver answers host names from a table, like a DNS server under an attacker's control.
type fixedResolver map[string][]string

func (f fixedResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]net.IPAddr, 0, len(ips))
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("bad test address %q", s)
		}
		out = append(out, net.IPAddr{IP: ip})
	}
	return out, nil
}

// onlyAddr is a guard that lets exactly one host:port through and judges the rest by the public policy;
// it stands for "the target is public, the redirect goes somewhere internal".
type onlyAddr struct {
	allowed string
	policy  *netguard.Policy
}

func (o onlyAddr) Control(network, address string, c syscall.RawConn) error {
	if address == o.allowed {
		return nil
	}
	return o.policy.Control(network, address, c)
}

// tlsServer starts an HTTPS server with a fresh CA-less self-signed certificate for localhost/127.0.0.1
// expiring at notAfter, and returns it with a pool that trusts it.
func tlsServer(t testing.TB, notAfter time.Time, h http.Handler) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return srv, pool
}
