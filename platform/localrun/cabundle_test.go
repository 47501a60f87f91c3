package localrun

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testCA is a CA and a server certificate for 127.0.0.1 it signed.
type testCA struct {
	certPEM []byte
	server  tls.Certificate
}

func newTestCA(t *testing.T, isCA bool) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localrun test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: isCA, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, key)
	require.NoError(t, err)
	return testCA{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		server:  tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey},
	}
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}

func TestWriteCABundle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newTestCA(t, true)
	caFile := writeFile(t, dir, "ca.pem", ca.certPEM)
	system := writeFile(t, dir, "system.pem", newTestCA(t, true).certPEM)

	t.Run("the first system bundle found, then the extra CA", func(t *testing.T) {
		t.Parallel()
		out := t.TempDir()
		path, used, err := WriteCABundle(caFile, out, []string{"", filepath.Join(dir, "missing.pem"), system, caFile})
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(out, CABundleName), path)
		assert.Equal(t, system, used)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		sys, _ := os.ReadFile(system)
		assert.True(t, strings.HasPrefix(string(b), string(sys)), "the system bundle first")
		assert.True(t, strings.HasSuffix(string(b), string(ca.certPEM)), "the extra CA last")
		pool := x509.NewCertPool()
		assert.True(t, pool.AppendCertsFromPEM(b))
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the functions run as this user; nobody else needs it")
	})
	t.Run("no system bundle: the extra CA alone", func(t *testing.T) {
		t.Parallel()
		path, used, err := WriteCABundle(caFile, t.TempDir(), []string{filepath.Join(dir, "missing.pem")})
		require.NoError(t, err)
		assert.Empty(t, used)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, string(b), string(ca.certPEM))
	})

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		content []byte
		want    string
	}{
		"missing file":         {want: "no such file"},
		"empty":                {content: []byte{}, want: "holds no PEM certificate"},
		"not PEM":              {content: []byte("hello"), want: "holds data that is not PEM"},
		"a private key":        {content: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), want: "holds a EC PRIVATE KEY block"},
		"not a CA":             {content: newTestCA(t, false).certPEM, want: "is not a CA certificate"},
		"a broken certificate": {content: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}), want: "certificate 1:"},
	} {
		t.Run("refused: "+name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "ca.pem")
			if tc.content != nil {
				writeFile(t, filepath.Dir(file), "ca.pem", tc.content)
			}
			out := t.TempDir()
			_, _, err := WriteCABundle(file, out, []string{system})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NoFileExists(t, filepath.Join(out, CABundleName), "nothing written")
		})
	}
}
