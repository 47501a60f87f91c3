package stack_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/stack"
)

func readCA(t *testing.T, dir string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	cb, err := os.ReadFile(filepath.Join(dir, stack.CACertFile))
	require.NoError(t, err)
	kb, err := os.ReadFile(filepath.Join(dir, stack.CAKeyFile))
	require.NoError(t, err)
	c, _ := pem.Decode(cb)
	k, _ := pem.Decode(kb)
	require.NotNil(t, c)
	require.NotNil(t, k)
	cert, err := x509.ParseCertificate(c.Bytes)
	require.NoError(t, err)
	key, err := x509.ParsePKCS8PrivateKey(k.Bytes)
	require.NoError(t, err)
	return cert, key.(*ecdsa.PrivateKey)
}

// TestEnsureCA: the local CA signs server certificates that verify against it; it is reused while valid,
// and replaced when its key is readable by others, it expires within 30 days, or the pair does not match.
func TestEnsureCA(t *testing.T) {
	t.Parallel()
	now := time.Now()
	dir := filepath.Join(t.TempDir(), "ca")
	created, err := stack.EnsureCA(dir, now)
	require.NoError(t, err)
	assert.True(t, created)
	for file, mode := range map[string]os.FileMode{stack.CAKeyFile: 0o600} {
		info, err := os.Stat(filepath.Join(dir, file))
		require.NoError(t, err)
		assert.Equal(t, mode, info.Mode().Perm(), file)
	}
	ca, key := readCA(t, dir)
	assert.True(t, ca.IsCA)
	assert.True(t, ca.NotAfter.After(now.AddDate(9, 0, 0)))

	t.Run("signs a short-lived server certificate that verifies", func(t *testing.T) {
		t.Parallel()
		leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "127.0.0.1"},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: now.Add(-time.Minute), NotAfter: now.Add(48 * time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &leafKey.PublicKey, key)
		require.NoError(t, err)
		leaf, err := x509.ParseCertificate(der)
		require.NoError(t, err)
		roots := x509.NewCertPool()
		roots.AddCert(ca)
		_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "127.0.0.1", CurrentTime: now})
		assert.NoError(t, err)
	})

	again, err := stack.EnsureCA(dir, now.Add(24*time.Hour))
	require.NoError(t, err)
	assert.False(t, again, "a valid CA is reused")
	same, _ := readCA(t, dir)
	assert.Equal(t, ca.SerialNumber, same.SerialNumber)

	for name, spoil := range map[string]func(t *testing.T, dir string) time.Time{
		"the key is readable by others": func(t *testing.T, dir string) time.Time {
			require.NoError(t, os.Chmod(filepath.Join(dir, stack.CAKeyFile), 0o644))
			return now
		},
		"it expires within 30 days": func(*testing.T, string) time.Time { return now.AddDate(10, 0, -20) },
		"the key is another's": func(t *testing.T, dir string) time.Time {
			other := filepath.Join(t.TempDir(), "other")
			_, err := stack.EnsureCA(other, now)
			require.NoError(t, err)
			b, err := os.ReadFile(filepath.Join(other, stack.CAKeyFile))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, stack.CAKeyFile), b, 0o600))
			return now
		},
		"the certificate is garbage": func(t *testing.T, dir string) time.Time {
			require.NoError(t, os.WriteFile(filepath.Join(dir, stack.CACertFile), []byte("junk"), 0o600))
			return now
		},
	} {
		t.Run("replaced when "+name, func(t *testing.T) {
			t.Parallel()
			d := filepath.Join(t.TempDir(), "ca")
			_, err := stack.EnsureCA(d, now)
			require.NoError(t, err)
			at := spoil(t, d)
			created, err := stack.EnsureCA(d, at)
			require.NoError(t, err)
			assert.True(t, created)
			info, err := os.Stat(filepath.Join(d, stack.CAKeyFile))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
			readCA(t, d) // a matching pair again
		})
	}
}
