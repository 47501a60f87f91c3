package crawler

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The benchmarks probe a loopback HTTP server that runs in a child process (this test binary,
// re-executed with benchServerEnv set), so the prober's CPU and memory figures are the crawler's
// alone, not the server's.
const (
	benchServerEnv = "WEBHEALTH_CRAWLER_BENCH_SERVER"

	// benchListeners is how many loopback addresses (127.0.0.2, 127.0.0.3, ...) the server listens
	// on. Every probe opens a fresh connection, about 80,000 in a run of all the benchmarks. The
	// server closes each one first (the prober asks for Connection: close), so TIME_WAIT is on its
	// side; and since the kernel reuses a client port towards another destination, spreading the
	// connections over 16 destinations keeps the client's ~28,000 ephemeral ports far from
	// exhaustion whatever lingers.
	benchListeners = 16

	maxBenchBody = 4 << 20
)

// runBenchServer is the child process: it serves benchHandler on benchListeners loopback
// addresses, prints their host:port list on one line of stdout, and exits when stdin closes (the
// parent, the benchmark binary, ended: its end of the pipe is closed however it ended).
func runBenchServer() int {
	srv := &http.Server{Handler: benchHandler(), ReadHeaderTimeout: 10 * time.Second}
	addrs := make([]string, 0, benchListeners)
	for i := range benchListeners {
		ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.%d:0", i+2))
		if err != nil { // no 127/8 beyond 127.0.0.1 (macOS): distinct ports spread the connections too
			ln, err = net.Listen("tcp4", "127.0.0.1:0")
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench server: %v\n", err)
			return 1
		}
		addrs = append(addrs, ln.Addr().String())
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintf(os.Stderr, "bench server: %v\n", err)
			}
		}()
	}
	fmt.Println(strings.Join(addrs, " "))
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// benchHandler answers after ?delay_ms= milliseconds with a body of ?size= bytes (Content-Length
// set). The client asks for Connection: close, so the server closes each connection after its answer.
func benchHandler() http.Handler {
	body := []byte(strings.Repeat("webhealth benchmark body ", maxBenchBody/25+1))[:maxBenchBody]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		delay, err1 := strconv.Atoi(q.Get("delay_ms"))
		size, err2 := strconv.Atoi(q.Get("size"))
		if err := errors.Join(err1, err2); err != nil || delay < 0 || size < 0 || size > maxBenchBody {
			http.Error(w, "want ?delay_ms=<ms>&size=<bytes>", http.StatusBadRequest)
			return
		}
		if delay > 0 {
			timer := time.NewTimer(time.Duration(delay) * time.Millisecond)
			select {
			case <-r.Context().Done():
				timer.Stop()
				return
			case <-timer.C:
			}
		}
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body[:size])
	})
}

// benchServerStdin is the write end of the child's stdin, held until this process exits.
var benchServerStdin io.WriteCloser

// benchServerAddrs starts the child server once per test binary and returns its addresses.
var benchServerAddrs = sync.OnceValues(func() ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench server: %w", err)
	}
	cmd := exec.Command(exe, "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	cmd.Stderr = os.Stderr
	// The pipe stays open for the life of this process (benchServerStdin keeps it from the
	// garbage collector, whose finalizer would close it); the child exits when it closes.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("bench server stdin: %w", err)
	}
	benchServerStdin = stdin
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench server stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start bench server: %w", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("bench server did not report its addresses: %w", err)
	}
	addrs := strings.Fields(line)
	if len(addrs) != benchListeners {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("bench server reported %q", line)
	}
	return addrs, nil
})

// benchURLs returns n target URLs spread round-robin over the bench server's addresses, answering
// after delay with a body of size bytes.
func benchURLs(b *testing.B, n int, delay time.Duration, size int) []string {
	b.Helper()
	addrs, err := benchServerAddrs()
	if err != nil {
		b.Fatal(err)
	}
	q := url.Values{"delay_ms": {strconv.FormatInt(delay.Milliseconds(), 10)}, "size": {strconv.Itoa(size)}}.Encode()
	urls := make([]string, n)
	for i := range urls {
		urls[i] = "http://" + addrs[i%len(addrs)] + "/?" + q
	}
	// One request first, so a broken server fails here rather than as n down targets.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, urls[0], nil)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		b.Fatalf("bench server: %v", err)
	}
	defer resp.Body.Close()
	got, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || got != int64(size) {
		b.Fatalf("bench server: status %d, %d of %d body bytes, %v", resp.StatusCode, got, size, err)
	}
	return urls
}
