package probe

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A check speaks HTTP/1.1 even to a server that offers HTTP/2: one request per fresh connection
// gains nothing from an HTTP/2 session, which costs CPU per probe.
func TestHTTP1EvenWhenTheServerOffersHTTP2(t *testing.T) {
	t.Parallel()
	protos := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos <- r.Proto
		_, _ = w.Write([]byte("ok"))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	require.Contains(t, srv.TLS.NextProtos, "h2", "the server offers HTTP/2")
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	p := newProber(t, privateOK(), func(o *Options) { o.RootCAs = pool })
	_, res := check(p, context.Background(), tgt(srv.URL+"/"))
	require.True(t, res.Available, res.Error)
	assert.Equal(t, "HTTP/1.1", <-protos)
}
