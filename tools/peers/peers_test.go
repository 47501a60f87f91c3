// Package peers measures webhealth's prober side by side with other monitors' probers, pinned in
// this module's go.mod, on the same loopback servers: `make bench-peers` (docs/benchmarks.md).
package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Every prober probes the same targets the same way: probesN probes, concurrency at a time (the
// crawler's default), each a fresh connection bounded by timeout.
const (
	probesN     = 1000
	rounds      = 5
	concurrency = 16
	timeout     = 5 * time.Second

	proberEnv = "WEBHEALTH_PEERS_PROBER" // the child that probes: a peer's name
	urlsEnv   = "WEBHEALTH_PEERS_URLS"   // its base URLs, space-separated; probe i goes to URL i mod len
	countEnv  = "WEBHEALTH_PEERS_N"      // how many probes
)

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(serverEnv) != "":
		os.Exit(runServers())
	case os.Getenv(proberEnv) != "":
		os.Exit(runProber())
	}
	os.Exit(m.Run())
}

// result is what a prober child measured over its probes alone (its start-up excluded, but for
// the peak RSS, which is the whole process's).
type result struct {
	CPU       time.Duration `json:"cpu_ns"` // user+sys
	Wall      time.Duration `json:"wall_ns"`
	PeakHeap  uint64        `json:"peak_heap_bytes"` // heap objects, sampled every millisecond
	MaxRSSKiB int64         `json:"max_rss_kib"`
	Probes    int           `json:"probes"`
	Failed    int           `json:"failed"`
	FirstErr  string        `json:"first_error,omitempty"`
}

// runProber is the prober child: it probes and prints its result as one JSON line.
func runProber() int {
	p, ok := findPeer(os.Getenv(proberEnv))
	n, err := strconv.Atoi(os.Getenv(countEnv))
	urls := strings.Fields(os.Getenv(urlsEnv))
	if !ok || p.make == nil || err != nil || n < 1 || len(urls) == 0 {
		fmt.Fprintf(os.Stderr, "peers prober: bad settings %s=%q %s=%q %s=%q\n", proberEnv, os.Getenv(proberEnv),
			countEnv, os.Getenv(countEnv), urlsEnv, os.Getenv(urlsEnv))
		return 2
	}
	chk, err := p.make(timeout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "peers prober %s: %v\n", p.name, err)
		return 1
	}
	r, err := probeAll(chk, urls, n)
	if err != nil {
		fmt.Fprintf(os.Stderr, "peers prober %s: %v\n", p.name, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return 1
	}
	return 0
}

// probeAll makes n probes, concurrency at a time, and measures them.
func probeAll(chk check, urls []string, n int) (result, error) {
	runtime.GC()
	stopHeap := sampleHeap()
	cpu0, err := cpuTime()
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	var failed atomic.Int64
	var firstErr sync.Once
	r := result{Probes: n}
	next := make(chan int)
	var workers sync.WaitGroup
	for range concurrency {
		workers.Go(func() {
			for i := range next {
				if err := chk(context.Background(), urls[i%len(urls)]); err != nil {
					failed.Add(1)
					firstErr.Do(func() { r.FirstErr = err.Error() })
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	workers.Wait()
	r.Wall = time.Since(start)
	cpu1, err := cpuTime()
	if err != nil {
		return result{}, err
	}
	r.CPU, r.PeakHeap, r.Failed = cpu1-cpu0, stopHeap(), int(failed.Load())
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return result{}, err
	}
	r.MaxRSSKiB = ru.Maxrss // KiB on Linux
	return r, nil
}

// sampleHeap samples the bytes of live and unswept heap objects every millisecond until the
// returned function is called, which returns the largest.
func sampleHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	read := func() {
		metrics.Read(sample)
		peak = max(peak, sample[0].Value.Uint64())
	}
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		read()
		return peak
	}
}

// cpuTime is the user+sys CPU time this process has used.
func cpuTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// caFile writes the servers' CA where the prober children read their system roots.
func caFile(tb testing.TB, s servers) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "ca.pem")
	if err := os.WriteFile(path, []byte(s.CA), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// probeInChild runs n probes of peer name against urls in a fresh child process that trusts ca.
func probeInChild(tb testing.TB, name, ca string, urls []string, n int) result {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), proberEnv+"="+name, urlsEnv+"="+strings.Join(urls, " "),
		countEnv+"="+strconv.Itoa(n), "SSL_CERT_FILE="+ca, "SSL_CERT_DIR="+filepath.Dir(ca))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("prober %s: %v: %s", name, err, stderr.String())
	}
	var r result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		tb.Fatalf("prober %s printed %q: %v", name, stdout.String(), err)
	}
	return r
}

// TestProbers checks that every prober judges the servers up over HTTP and HTTPS and a 503 down,
// so the benchmark measures real checks.
func TestProbers(t *testing.T) {
	s, err := startServers()
	if err != nil {
		t.Fatal(err)
	}
	ca := caFile(t, s)
	down := func(urls []string) []string {
		out := make([]string, len(urls))
		for i, u := range urls {
			out[i] = u + "down"
		}
		return out
	}
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			if p.skip != "" {
				t.Skip(p.skip)
			}
			for _, tc := range []struct {
				name   string
				urls   []string
				failed int
			}{
				{"http up", s.HTTP, 0}, {"https up", s.HTTPS, 0},
				{"http 503", down(s.HTTP), 2}, {"https 503", down(s.HTTPS), 2},
			} {
				r := probeInChild(t, p.name, ca, tc.urls, 2)
				if r.Probes != 2 || r.Failed != tc.failed {
					t.Errorf("%s: %d of %d probes failed, want %d (first error %q)", tc.name, r.Failed, r.Probes, tc.failed, r.FirstErr)
				}
			}
		})
	}
}

// BenchmarkPeers measures each prober in its own child process probing probesN targets over HTTP
// and over HTTPS, in rounds rounds: every round runs each prober once, in an order rotated per
// round, so that what else the machine does falls on all of them alike. Each sub-benchmark reports
// its prober's medians over the rounds: cpu-us/probe (the child's user+sys over its probes), wall-ms
// to probe all of them (ns/op: the same per probe), peak-heap-MB (sampled) and peak-rss-MB (the
// child's, start-up included). Run it with -benchtime=1x: the sub-benchmarks only report.
func BenchmarkPeers(b *testing.B) {
	s, err := startServers()
	if err != nil {
		b.Fatal(err)
	}
	ca := caFile(b, s)
	protos := []struct {
		name string
		urls []string
	}{{"http", s.HTTP}, {"https", s.HTTPS}}
	var measured []peer
	for _, p := range peers {
		if p.skip == "" {
			measured = append(measured, p)
		}
	}
	results := map[string][]result{} // by sub-benchmark name
	name := func(proto string, p peer) string {
		return fmt.Sprintf("N=%d/proto=%s/prober=%s", probesN, proto, p.name)
	}
	for round := range rounds {
		for _, proto := range protos {
			for i := range measured {
				p := measured[(i+round)%len(measured)]
				r := probeInChild(b, p.name, ca, proto.urls, probesN)
				if r.Failed > 0 {
					b.Fatalf("%s: %d of %d probes failed; first: %s", name(proto.name, p), r.Failed, r.Probes, r.FirstErr)
				}
				results[name(proto.name, p)] = append(results[name(proto.name, p)], r)
			}
		}
	}
	for _, proto := range protos {
		for _, p := range peers {
			b.Run(name(proto.name, p), func(b *testing.B) {
				if p.skip != "" {
					b.Skip(p.skip)
				}
				rs := results[name(proto.name, p)]
				wall := median(rs, func(r result) float64 { return float64(r.Wall) })
				b.ReportMetric(median(rs, func(r result) float64 { return float64(r.CPU) })/1e3/probesN, "cpu-us/probe")
				b.ReportMetric(wall/1e6, "wall-ms")
				b.ReportMetric(wall/probesN, "ns/op")
				b.ReportMetric(median(rs, func(r result) float64 { return float64(r.PeakHeap) })/(1<<20), "peak-heap-MB")
				b.ReportMetric(median(rs, func(r result) float64 { return float64(r.MaxRSSKiB) })/(1<<10), "peak-rss-MB")
			})
		}
	}
}

// median is the median of f over rs.
func median(rs []result, f func(result) float64) float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2
	}
	return vs[len(vs)/2]
}
