package benchreport

import (
	"fmt"
	"strings"
)

// pkgPeers is the module of the peer comparison (make bench-peers).
const pkgPeers = "tools/peers"

// peersN is how many targets each prober probes in BenchmarkPeers.
const peersN = 1000

// peerFigures compare webhealth's prober with each peer's on the same loopback targets (issue 12,
// BenchmarkPeers/N=<n>/proto=<proto>/prober=<name>): webhealth's figure over the peer's, so below 1
// is webhealth ahead. It must be ahead on CPU per probe and on wall time; peak heap is reported.
func peerFigures() []Figure {
	var fs []Figure
	for _, proto := range []string{"http", "https"} {
		for _, peer := range []string{"blackbox_exporter", "gatus"} {
			fs = append(fs,
				peerRatio(proto, peer, "cpu-us/probe", "CPU per probe", "µs", below(1)),
				peerRatio(proto, peer, "wall-ms", fmt.Sprintf("wall time to probe %d targets", peersN), "ms", below(1)),
				peerRatio(proto, peer, "peak-heap-MB", "peak heap", "MB", reported()),
			)
		}
	}
	return fs
}

func peerRatio(proto, peer, unit, what, shownUnit string, r Rule) Figure {
	ref := func(prober string) Ref {
		return Ref{pkgPeers, fmt.Sprintf("BenchmarkPeers/N=%d/proto=%s/prober=%s", peersN, proto, prober), unit}
	}
	return Figure{
		Name: fmt.Sprintf("Peers, %s: webhealth's %s over %s's", strings.ToUpper(proto), what, peer),
		Of:   ref("webhealth"), Per: ptr(ref(peer)), Unit: "×", Rule: r,
		Detail: []Shown{{"webhealth", ref("webhealth"), shownUnit}, {peer, ref(peer), shownUnit}},
	}
}
