package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/webhealth/webhealth/internal/target"
)

// classify turns a request failure into its kind and the text stored in last_check.
func (p *Prober) classify(err error, t target.Target, timeout time.Duration) (target.Failure, string) {
	var refused *RefusedError
	switch {
	case errors.As(err, &refused):
		return target.FailureRefused, refused.Error()
	case errors.Is(err, errTooManyRedirects):
		return target.FailureRedirects, fmt.Sprintf("stopped after %d redirects (the limit)", max(p.opts.MaxRedirects, 0))
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return target.FailureTimeout, fmt.Sprintf("timed out after %d ms", timeout.Milliseconds())
	case errors.Is(err, context.Canceled):
		return target.FailureOther, "canceled"
	}
	msg := err.Error()
	// url.Error repeats the method and URL; the target is known, keep the cause.
	var uerr *url.Error
	if errors.As(err, &uerr) {
		msg = uerr.Err.Error()
		if uerr.URL != t.URL {
			msg = fmt.Sprintf("%s (at %s)", msg, uerr.URL)
		}
	}
	return failureKind(err), msg
}

// failureKind is the step a failure that is neither a refusal, a redirect limit nor a timeout happened in.
func failureKind(err error) target.Failure {
	var (
		dnsErr    *net.DNSError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
		authErr   x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		certErr   x509.CertificateInvalidError
		opErr     *net.OpError
	)
	switch {
	case errors.As(err, &dnsErr), errors.Is(err, errNoAddresses):
		return target.FailureDNS
	case errors.As(err, &verifyErr), errors.As(err, &recordErr), errors.As(err, &alertErr),
		errors.As(err, &authErr), errors.As(err, &hostErr), errors.As(err, &certErr):
		return target.FailureTLS
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return target.FailureConnect
	}
	return target.FailureOther
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
