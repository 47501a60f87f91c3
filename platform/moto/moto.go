// Package moto runs the AWS emulator of the local stack and of the tests: moto_server behind
// serial.py (one request at a time, own loopback Host and Origin only). Launch starts one for a
// caller that manages it (the stack, `platform moto run`); Start, Main and Shared are the test helpers.
package moto

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

//go:embed serial.py
var serialScript []byte

// Region used by the tests.
const Region = "us-east-1"

// Server is a running moto_server.
type Server struct {
	Endpoint string
	cmd      *exec.Cmd
	logPath  string
	logFile  *os.File
}

// Options of Launch.
type Options struct {
	// Dir holds the script and, unless LogPath is set, moto.log.
	Dir string
	// Port to listen on, on 127.0.0.1 (0: a free one).
	Port int
	// LogPath receives moto's output (appended); empty: <Dir>/moto.log.
	LogPath string
	// Detach starts moto in its own process group, outliving the caller (the local stack);
	// otherwise it dies with the caller.
	Detach bool
	// Ready bounds the wait for moto to answer (0: 30s).
	Ready time.Duration
}

// Requirements returns an error naming what is missing to run moto.
func Requirements() error {
	if _, err := exec.LookPath("moto_server"); err != nil {
		return errors.New("moto_server is not installed: pip install 'moto[server]==5.2.1'")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		return errors.New("python3 is not installed (moto runs on it)")
	}
	return nil
}

// Launch starts moto_server and waits until it answers.
func Launch(ctx context.Context, o Options) (*Server, error) {
	if err := Requirements(); err != nil {
		return nil, err
	}
	python, _ := exec.LookPath("python3")
	port := o.Port
	if port == 0 {
		p, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		port = p
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("moto dir: %w", err)
	}
	script := filepath.Join(o.Dir, "moto-serial.py")
	if err := os.WriteFile(script, serialScript, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", script, err)
	}
	logPath := o.LogPath
	if logPath == "" {
		logPath = filepath.Join(o.Dir, "moto.log")
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) // #nosec G304 -- the log path the caller chose
	if err != nil {
		return nil, fmt.Errorf("moto log: %w", err)
	}
	// #nosec G204 -- python3 from PATH running the embedded serial.py; the port is a number
	cmd := exec.Command(python, script, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if o.Detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	} else {
		// The server dies with its caller, even when that is killed (test timeout, fuzz engine).
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("start moto_server: %w", err), logFile.Close())
	}
	s := &Server{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, logPath: logPath, logFile: logFile}
	wait := o.Ready
	if wait == 0 {
		wait = 30 * time.Second
	}
	if err := WaitReady(ctx, s.Endpoint, wait); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	return s, nil
}

// WaitReady polls endpoint until moto answers or wait has passed.
func WaitReady(ctx context.Context, endpoint string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/moto-api/", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close() // answering at all is the readiness signal
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("moto_server did not answer on %s within %s: %w", endpoint, wait, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Port is the port the server listens on.
func (s *Server) Port() string {
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		return ""
	}
	return u.Port()
}

// Stop kills the server.
func (s *Server) Stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	_ = s.logFile.Close()
}

// Release lets a detached server run on after the caller exits.
func (s *Server) Release() error {
	if err := s.cmd.Process.Release(); err != nil {
		return err
	}
	return s.logFile.Close()
}

// LogTail is the end of the server's log.
func (s *Server) LogTail() string {
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

// Reset wipes every resource in the emulator (moto's reset API).
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

// Start runs a private moto_server for one test until it ends. A missing moto_server fails the
// test rather than skipping it: the platform's tests need it (make ci-deps installs it).
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Launch(context.Background(), Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("moto_server log tail:\n%s", s.LogTail())
		}
		s.Stop()
	})
	return s
}

// Main runs the package's tests with one moto_server shared by all of them (see Shared), started when
// the first test asks for it, so a run that needs none (a benchmark, a fuzz worker) starts none.
// Use it as `func TestMain(m *testing.M) { moto.Main(m) }`.
func Main(m *testing.M) {
	var started atomic.Pointer[Server]
	dir := ""
	shared = sync.OnceValues(func() (*Server, error) {
		d, err := os.MkdirTemp("", "moto-")
		if err != nil {
			return nil, err
		}
		s, err := Launch(context.Background(), Options{Dir: d})
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
			fmt.Fprintf(os.Stderr, "moto_server log tail:\n%s\n", s.LogTail())
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

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
