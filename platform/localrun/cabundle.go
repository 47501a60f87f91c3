package localrun

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// systemBundles are where Linux distributions keep the system's CA bundle, in the order Go's crypto/x509
// looks for them (root_linux.go); SSL_CERT_FILE, when the runtime itself has one, comes first.
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Arch
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // OpenSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine, macOS
}

// CABundleName is the file, in the state directory, that the functions get as SSL_CERT_FILE.
const CABundleName = "ca-bundle.pem"

// WriteCABundle writes dir/ca-bundle.pem: the first system bundle found (candidates, in order) followed by
// the certificates of extraCA, which must all be CA certificates. It is a local-only convenience: functions
// given it as SSL_CERT_FILE verify TLS sites signed by the local stack's own CA as well as public ones. No
// system bundle is only a warning (the bundle then holds the extra CA alone); it returns the bundle's path
// and which system bundle it holds ("" for none).
func WriteCABundle(extraCA, dir string, candidates []string) (path, system string, err error) {
	pemBytes, err := os.ReadFile(extraCA) // #nosec G304 -- the CA file the operator names with -extra-ca
	if err != nil {
		return "", "", fmt.Errorf("extra CA: %w", err)
	}
	if err := checkCAs(pemBytes); err != nil {
		return "", "", fmt.Errorf("extra CA %s: %w", extraCA, err)
	}
	var bundle bytes.Buffer
	for _, c := range candidates {
		if c == "" {
			continue
		}
		b, err := os.ReadFile(c) // #nosec G304 -- a system CA bundle location
		if err == nil && len(bytes.TrimSpace(b)) > 0 {
			bundle.Write(bytes.TrimRight(b, "\n"))
			bundle.WriteString("\n")
			system = c
			break
		}
	}
	fmt.Fprintf(&bundle, "# the local stack's CA (%s): trusted by the local runtime's functions only\n", extraCA)
	bundle.Write(pemBytes)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", fmt.Errorf("CA bundle: %w", err)
	}
	path = filepath.Join(dir, CABundleName)
	tmp, err := os.CreateTemp(dir, "."+CABundleName+".tmp*")
	if err != nil {
		return "", "", fmt.Errorf("CA bundle: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after the rename
	if _, err := tmp.Write(bundle.Bytes()); err != nil {
		return "", "", errors.Join(fmt.Errorf("CA bundle: %w", err), tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return "", "", fmt.Errorf("CA bundle: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", "", fmt.Errorf("CA bundle: %w", err)
	}
	return path, system, nil
}

// checkCAs accepts PEM holding only CERTIFICATE blocks, at least one, each a CA certificate.
func checkCAs(b []byte) error {
	n := 0
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if len(bytes.TrimSpace(rest)) > 0 {
				return errors.New("holds data that is not PEM")
			}
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("holds a %s block: only CERTIFICATE blocks belong in it (never the CA's key)", block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("certificate %d: %w", n+1, err)
		}
		if !cert.IsCA {
			return fmt.Errorf("certificate %d (%s) is not a CA certificate", n+1, cert.Subject)
		}
		n++
	}
	if n == 0 {
		return errors.New("holds no PEM certificate")
	}
	return nil
}
