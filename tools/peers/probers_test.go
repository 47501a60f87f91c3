package peers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/blackbox_exporter/config"
	"github.com/prometheus/blackbox_exporter/prober"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/probe"
	"github.com/webhealth/webhealth/internal/target"
)

// A check probes one URL and says whether its prober judged it up. Every prober trusts the
// servers' CA as a system root (SSL_CERT_FILE in the prober's process), as it would a public CA.
type check func(ctx context.Context, url string) error

// A peer is one prober of the comparison; skip says why it cannot be measured on this machine.
type peer struct {
	name string
	make func(timeout time.Duration) (check, error)
	skip string
}

// peers are the probers side by side, webhealth first.
var peers = []peer{
	{name: "webhealth", make: webhealthCheck},
	{name: "blackbox_exporter", make: blackboxCheck},
	{name: "gatus", skip: "not pinned: the Go module proxy answers 403 for github.com/TwiN/gatus/v5"},
}

func findPeer(name string) (peer, bool) {
	for _, p := range peers {
		if p.name == name {
			return p, true
		}
	}
	return peer{}, false
}

// webhealthCheck is the crawler's prober as cmd/crawler builds it (defaults of the crawler's
// settings; private targets allowed, the servers are on loopback) and its verdict, target.Judge.
func webhealthCheck(timeout time.Duration) (check, error) {
	p, err := probe.New(probe.Options{
		Guard: netguard.New(true), MaxBodyBytes: probe.DefaultMaxBodyBytes, MaxRedirects: probe.DefaultMaxRedirects,
		RetryDelay: probe.DefaultRetryDelay, UserAgent: "webhealth/peers",
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, url string) error {
		tg := target.Target{
			URL: url, Method: http.MethodGet, ExpectedStatus: []int{http.StatusOK},
			TimeoutMS: int(timeout / time.Millisecond), LatencyThresholdMS: target.DefaultLatencyThresholdMS,
		}
		if lc := target.Judge(tg, p.Probe(ctx, tg)); !lc.Available {
			return errors.New(lc.Error)
		}
		return nil
	}, nil
}

// blackboxCheck is blackbox_exporter's HTTP prober with its default http module (2xx valid,
// redirects followed, HTTP/2 enabled) over IPv4, called as its /probe handler calls it: a fresh
// registry per probe and a context bounded by the module's timeout. Its log lines are discarded
// (the exporter formats them into a per-probe buffer), and the registry is not serialised: both
// only flatter it.
func blackboxCheck(timeout time.Duration) (check, error) {
	module := config.Module{Prober: "http", Timeout: timeout, HTTP: config.DefaultHTTPProbe}
	module.HTTP.IPProtocol = "ip4"
	logger := slog.New(slog.DiscardHandler)
	return func(ctx context.Context, url string) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if !prober.ProbeHTTP(ctx, url, module, prometheus.NewRegistry(), logger) {
			return errors.New("probe_success 0")
		}
		return nil
	}, nil
}
