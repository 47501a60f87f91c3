package peers

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// The probers measure loopback servers in a child process (this test binary re-executed with
// serverEnv set), so no prober's figures include the servers' work.
const (
	serverEnv = "WEBHEALTH_PEERS_SERVER"
	// listeners is how many loopback addresses each protocol is served on: every probe is a fresh
	// connection, and spreading them over destinations keeps the ephemeral ports far from exhaustion.
	listeners = 16
	bodyBytes = 1024
)

// servers is what the child prints: the HTTP and HTTPS base URLs and the PEM of the CA that signed
// the HTTPS servers' certificate.
type servers struct {
	HTTP  []string `json:"http"`
	HTTPS []string `json:"https"`
	CA    string   `json:"ca"`
}

// runServers is the child process: HTTP/1.1 on listeners addresses, HTTPS (HTTP/2 offered by ALPN,
// as net/http and most sites do) on as many more, a 1 KiB 200 answer everywhere but /down (503); it prints the
// servers line and exits when stdin closes (the parent ended).
func runServers() int {
	cert, caPEM, err := localCert()
	if err != nil {
		fmt.Fprintf(os.Stderr, "peers server: %v\n", err)
		return 1
	}
	body := []byte(strings.Repeat("x", bodyBytes))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write(body)
	})
	out := servers{CA: string(caPEM)}
	for i := range 2 * listeners {
		ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.%d:0", i%listeners+2))
		if err != nil { // no 127/8 beyond 127.0.0.1 (macOS): distinct ports spread the connections too
			ln, err = net.Listen("tcp4", "127.0.0.1:0")
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "peers server: %v\n", err)
			return 1
		}
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
		if i < listeners {
			out.HTTP = append(out.HTTP, "http://"+ln.Addr().String()+"/")
		} else {
			srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			out.HTTPS = append(out.HTTPS, "https://"+ln.Addr().String()+"/")
		}
		go func() {
			var err error
			if srv.TLSConfig != nil {
				err = srv.ServeTLS(ln, "", "")
			} else {
				err = srv.Serve(ln)
			}
			if !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintf(os.Stderr, "peers server: %v\n", err)
			}
		}()
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return 1
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// localCert makes a CA and a server certificate it signs for the loopback addresses.
func localCert() (tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "webhealth peers CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return tls.Certificate{}, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"},
	}
	for i := 1; i <= listeners+1; i++ {
		leaf.IPAddresses = append(leaf.IPAddresses, net.IPv4(127, 0, 0, byte(i)))
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caPEM, nil
}

// serverStdin is the write end of the child's stdin, held until this process exits.
var serverStdin io.WriteCloser

// startServers starts the child once per test binary.
var startServers = sync.OnceValues(func() (servers, error) {
	exe, err := os.Executable()
	if err != nil {
		return servers{}, err
	}
	cmd := exec.Command(exe, "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), serverEnv+"=1")
	cmd.Stderr = os.Stderr
	if serverStdin, err = cmd.StdinPipe(); err != nil {
		return servers{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return servers{}, err
	}
	if err := cmd.Start(); err != nil {
		return servers{}, fmt.Errorf("start the servers: %w", err)
	}
	var s servers
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &s)
	}
	if err != nil || len(s.HTTP) == 0 || len(s.HTTPS) == 0 {
		_ = cmd.Process.Kill()
		return servers{}, fmt.Errorf("the servers' address line %q: %v", line, err)
	}
	return s, nil
})
