// Package moto starts a private moto server (the local AWS emulator, run by tools/moto-serial.py) for integration tests,
// so store, crawler and alarm code is tested against real DynamoDB/CloudWatch API behaviour
// (conditions, transactions, pagination) rather than against a hand-written fake.
package moto

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Server is a running moto_server.
type Server struct {
	Endpoint string
	cmd      *exec.Cmd
	logPath  string
	logFile  *os.File
}

// Region used by the tests.
const Region = "us-east-1"

// Start runs moto_server on a free loopback port until the test ends. moto_server is part of the
// project's toolchain (.ci/run installs it): a missing binary fails the test rather than skipping it.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := launch(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("moto_server log tail:\n%s", s.logTail())
		}
		s.Stop()
	})
	return s
}

// Main runs the package's tests with one moto_server shared by all of them (see Shared).
// Use it as `func TestMain(m *testing.M) { moto.Main(m) }`.
//
// The server starts when the first test asks for it, so a run that needs none starts none: a
// benchmark run, a -run selecting no emulator test, and a fuzz worker (go test -fuzz), which the
// fuzzing engine kills and which would leave a child behind.
func Main(m *testing.M) {
	var started atomic.Pointer[Server]
	dir := ""
	shared = sync.OnceValues(func() (*Server, error) {
		d, err := os.MkdirTemp("", "moto-")
		if err != nil {
			return nil, err
		}
		s, err := launch(d)
		if err != nil {
			_ = os.RemoveAll(d)
			return nil, err
		}
		dir = d
		started.Store(s)
		return s, nil
	})
	code := m.Run()
	if s := started.Load(); s != nil {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "moto_server log tail:\n%s\n", s.logTail())
		}
		s.Stop()
		_ = os.RemoveAll(dir)
	}
	os.Exit(code)
}

// shared starts (once) and returns the package-wide server of Main; nil outside Main (test-only state).
var shared func() (*Server, error)

// Shared returns the server of Main, started by the first test that asks; tests isolate themselves
// with unique resource names.
func Shared(t testing.TB) *Server {
	t.Helper()
	if shared == nil {
		t.Fatal("moto.Shared needs `func TestMain(m *testing.M) { moto.Main(m) }` in the package")
	}
	s, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func launch(dir string) (*Server, error) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		return nil, fmt.Errorf("moto_server not found on PATH (install moto[server]; see README): %w", err)
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return nil, fmt.Errorf("python3 not found on PATH (moto runs on it): %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("free port: %w", err)
	}
	logPath := filepath.Join(dir, "moto.log")
	logFile, err := os.Create(logPath) // #nosec G304 -- in the temp dir Main/Start made for this server
	if err != nil {
		return nil, fmt.Errorf("moto log: %w", err)
	}
	// #nosec G204 -- python3 from PATH running the repository's tools/moto-serial.py; no outside input
	cmd := exec.Command(python, serialScript(), "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The server dies with the test process, even when that is killed (timeout, fuzz engine).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("start moto_server: %w", err), logFile.Close())
	}
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, logPath: logPath, logFile: logFile}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.Endpoint + "/moto-api/")
		if err == nil {
			_ = resp.Body.Close() // answering at all is the readiness signal
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("moto_server did not answer on %s within 30s: %w", s.Endpoint, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop kills the server.
func (s *Server) Stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	_ = s.logFile.Close()
}

func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Config returns an SDK config pointed at this server with static test credentials.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(s.Endpoint),
		RetryMaxAttempts: 3,
	}
}

// Reset wipes every resource in the emulator (moto's reset API), for tests sharing a server.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: status %d", resp.StatusCode)
	}
	return nil
}

// serialScript is tools/moto-serial.py: moto_server handling one request at a time, as the local stack
// runs it (moto's DynamoDB transactions are not atomic under concurrent requests).
func serialScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "tools", "moto-serial.py")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
