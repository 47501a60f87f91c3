//go:build e2e

package test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The local stack's json webhook channel (make up NOTIFY_WEBHOOK_URL=..., which make e2e sets to
// http://127.0.0.1:4568/notify) posts to the suite: a receiver listens where the URL points and keeps every
// notification, and the tests look for theirs by target id or alarm name.

// notification is the notifier's generic json body (docs/design.md, "Notifications").
type notification struct {
	Event     string                     `json:"event"` // DOWN, RECOVERED, SLOW, CERTIFICATE_EXPIRES, OPS_ALARM, OPS_RECOVERED
	State     string                     `json:"state"` // ALARM or OK
	Kind      string                     `json:"kind"`  // availability, latency, certificate, ops
	Target    *notifiedTarget            `json:"target"`
	Reason    string                     `json:"reason"`
	ChangedAt string                     `json:"changed_at"`
	Since     string                     `json:"since"`
	Region    string                     `json:"region"`
	AlarmName string                     `json:"alarm_name"`
	AlarmURL  string                     `json:"alarm_url"`
	MessageID string                     `json:"message_id"` // the SNS message notified
	LastCheck map[string]any             `json:"last_check"`
	Members   map[string]json.RawMessage `json:"-"`
}

type notifiedTarget struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// received is one POST the receiver got.
type received struct {
	notification
	ContentType string
	At          time.Time
	Body        string
}

func (r received) String() string { return r.At.Format(time.RFC3339) + " " + r.Body }

// webhookReceiver records the posts to the local webhook.
type webhookReceiver struct {
	mu  sync.Mutex
	got []received
	bad []string // posts that were not a json notification
}

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(rw, "a notification is a POST", http.StatusMethodNotAllowed)
		return
	}
	rec := received{ContentType: r.Header.Get("Content-Type"), At: time.Now(), Body: string(body)}
	err = json.Unmarshal(body, &rec.notification)
	if err == nil {
		err = json.Unmarshal(body, &rec.Members)
	}
	w.mu.Lock()
	if err != nil {
		w.bad = append(w.bad, fmt.Sprintf("%s: %v", body, err))
	} else {
		w.got = append(w.got, rec)
	}
	w.mu.Unlock()
	rw.WriteHeader(http.StatusOK)
}

// matching returns the notifications received so far that satisfy keep, oldest first.
func (w *webhookReceiver) matching(keep func(received) bool) []received {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []received
	for _, r := range w.got {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor waits until at least one notification satisfies keep and returns those that do.
func (w *webhookReceiver) waitFor(t *testing.T, what string, timeout time.Duration, keep func(received) bool) []received {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if got := w.matching(keep); len(got) > 0 {
			return got
		}
		if time.Now().After(deadline) {
			w.mu.Lock()
			defer w.mu.Unlock()
			t.Fatalf("no webhook %s within %s; received %d: %v; not json notifications: %v", what, timeout, len(w.got), w.got, w.bad)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("waiting for the webhook %s: %v", what, t.Context().Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// forTarget keeps the notifications about one target.
func forTarget(id string) func(received) bool {
	return func(r received) bool { return r.Target != nil && r.Target.ID == id }
}

// receiverFor starts (once per test binary) the receiver on the address of the stack's NOTIFY_WEBHOOK_URL.
var receiverFor = sync.OnceValues(func() (*webhookReceiver, error) {
	s, err := loadStackOnce()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(s.notifyURL)
	if err != nil || u.Scheme != "http" || u.Port() == "" {
		return nil, fmt.Errorf("NOTIFY_WEBHOOK_URL of the local stack is not http://<loopback>:<port>/<path> (make e2e sets http://127.0.0.1:4568/notify)")
	}
	if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		return nil, fmt.Errorf("NOTIFY_WEBHOOK_URL of the local stack points to %s, not this machine's loopback: the suite cannot receive there", u.Hostname())
	}
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("listen where NOTIFY_WEBHOOK_URL points (%s): %w", u.Host, err)
	}
	w := &webhookReceiver{}
	mux := http.NewServeMux()
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	mux.Handle(path, w)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // lives as long as the test binary
	return w, nil
})

// webhooks is the receiver of the local stack's webhook; the test is skipped without one.
func (s *stack) webhooks(t *testing.T) *webhookReceiver {
	t.Helper()
	s.requireLocal(t, "the notifier posts to a webhook on this machine (the local stack's NOTIFY_WEBHOOK_URL); in AWS the channels are the environment's own")
	if s.notifyURL == "" {
		t.Skip("the local stack has no webhook channel: make e2e sets one, or make up NOTIFY_WEBHOOK_URL=http://127.0.0.1:4568/notify")
	}
	w, err := receiverFor()
	require.NoError(t, err)
	return w
}

// redelivered is the local runtime's answer to POST /_local/sns/redeliver.
type redelivered struct {
	MessageID  string `json:"message_id"`
	Topic      string `json:"topic"`
	Deliveries []struct {
		Endpoint  string `json:"endpoint"`
		Protocol  string `json:"protocol"`
		MessageID string `json:"message_id"`
		Status    string `json:"status"`
		Error     string `json:"error"`
	} `json:"deliveries"`
}

// redeliver has the local runtime deliver an SNS message again (same MessageId, same body), as SNS's
// at-least-once delivery may, and requires that the notifier handled it (its invocation succeeded).
func (s *stack) redeliver(t *testing.T, messageID string) redelivered {
	t.Helper()
	notifier := s.outputs(t).FunctionNames["notifier"]
	require.NotEmpty(t, notifier, "the workload's function_names output names the notifier")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.localRunURL+"/_local/sns/redeliver?message_id="+url.QueryEscape(messageID), nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "redeliver %s: %s", messageID, body)
	var out redelivered
	require.NoError(t, json.Unmarshal(body, &out))
	handled := false
	for _, d := range out.Deliveries {
		require.Equal(t, messageID, d.MessageID, "the same message again")
		if d.Protocol == "lambda" && functionOf(d.Endpoint) == notifier {
			require.Equal(t, "delivered", d.Status, "the notifier handled the redelivery: %+v", d)
			handled = true
		}
	}
	require.True(t, handled, "the message's topic delivers to the notifier: %s", body)
	return out
}

// functionOf is the function name of a Lambda ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]).
func functionOf(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) >= 7 && parts[5] == "function" {
		return parts[6]
	}
	return arn
}

// localCA is the local stack's CA (.local/ca, made by make up), to sign test sites' certificates.
type localCA struct {
	cert *x509.Certificate
	key  any
}

func (s *stack) localCA(t *testing.T) localCA {
	t.Helper()
	dir := filepath.Join(s.repoRoot, ".local", "ca")
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err, "make up keeps the local CA in .local/ca")
	keyPEM, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	require.NoError(t, err)
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	require.NotNil(t, cb, "ca.pem is PEM")
	require.NotNil(t, kb, "ca-key.pem is PEM")
	cert, err := x509.ParseCertificate(cb.Bytes)
	require.NoError(t, err)
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	require.NoError(t, err)
	return localCA{cert: cert, key: key}
}

// tlsSite is an https server on 127.0.0.1 whose certificate the local CA signed, valid for validFor.
func (ca localCA) tlsSite(t *testing.T, validFor time.Duration) *httptest.Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	require.NoError(t, err)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "webhealth e2e short-lived site"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(validFor),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprintln(w, "ok") }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}
