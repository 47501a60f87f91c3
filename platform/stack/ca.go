package stack

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// The local stack's CA (.local/ca/): the local runtime's functions trust it besides the system CAs
// (platform localrun -extra-ca), so the crawler verifies local TLS sites whose certificates it signed, as the
// end-to-end suite's short-lived one. It never leaves this machine and is nothing AWS sees.
const (
	CACertFile = "ca.pem"     // the certificate (public)
	CAKeyFile  = "ca-key.pem" // its private key, mode 0600
	caValidity = 10 * 365 * 24 * time.Hour
	// caRenewBefore: a CA expiring sooner than this is replaced by a fresh one.
	caRenewBefore = 30 * 24 * time.Hour
)

// EnsureCA keeps the CA in dir: an existing valid pair (a CA certificate, not expiring within 30 days, whose
// key matches and is readable by its owner only) is reused; otherwise a new one is written. It reports
// whether it created one.
func EnsureCA(dir string, now time.Time) (created bool, err error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	if err := checkCA(certPath, keyPath, now); err == nil {
		return false, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("local CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return false, fmt.Errorf("local CA key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return false, fmt.Errorf("local CA serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "webhealth local stack CA", Organization: []string{"webhealth (local only)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return false, fmt.Errorf("local CA certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return false, fmt.Errorf("local CA key: %w", err)
	}
	// The key first, owner-only from its creation; the certificate last, so a pair is complete when it exists.
	if err := writeNew(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return false, err
	}
	if err := writeNew(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return false, err
	}
	return true, nil
}

// checkCA says why the pair in certPath/keyPath cannot be reused, or nil.
func checkCA(certPath, keyPath string, now time.Time) error {
	info, err := os.Stat(keyPath)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s is readable by others (mode %o)", keyPath, info.Mode().Perm())
	}
	certPEM, err := os.ReadFile(certPath) // #nosec G304 -- under .local/ca
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(keyPath) // #nosec G304 -- under .local/ca
	if err != nil {
		return err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return errors.New("not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return err
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return err
	}
	pub, ok := key.(*ecdsa.PrivateKey)
	if !ok || !pub.PublicKey.Equal(cert.PublicKey) {
		return errors.New("the key does not match the certificate")
	}
	if !cert.IsCA || now.Add(caRenewBefore).After(cert.NotAfter) {
		return errors.New("not a CA, or expiring")
	}
	return nil
}

// writeNew replaces path with data, created with mode from the start (never wider for a moment).
func writeNew(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	_ = os.Remove(tmp)                                                  // a leftover of an interrupted run
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode) // #nosec G304 -- under .local/ca
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), f.Close(), os.Remove(tmp))
	}
	if err := f.Close(); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), os.Remove(tmp))
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), os.Remove(tmp))
	}
	return nil
}
