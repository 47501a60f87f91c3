package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/moto"
)

// fakeMoto is an emulator that is never started; it counts Stop calls.
type fakeMoto struct{ stops atomic.Int32 }

func (f *fakeMoto) Stop()           { f.stops.Add(1) }
func (f *fakeMoto) LogTail() string { return "moto: last log line" }

func fakeLaunch(f *fakeMoto, gotPort *int) func(context.Context, moto.Options) (string, motoServer, error) {
	return func(_ context.Context, o moto.Options) (string, motoServer, error) {
		if gotPort != nil {
			*gotPort = o.Port
		}
		return "http://127.0.0.1:1", f, nil
	}
}

func TestMotoRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		command    []string
		wantCode   int
		wantStderr []string
		noStderr   string
	}{
		{
			name:     "the command sees the endpoint and its success is the exit status",
			command:  []string{"sh", "-c", `test "$WEBHEALTH_MOTO_URL" = http://127.0.0.1:1`},
			wantCode: 0, noStderr: "moto: last log line",
		},
		{
			name:       "a failed command's status, then the emulator's log tail",
			command:    []string{"sh", "-c", "echo test output; exit 3"},
			wantCode:   3,
			wantStderr: []string{"sh exited with status 3", "moto: last log line"},
		},
		{
			name:       "a command killed by a signal: 128 + the signal",
			command:    []string{"sh", "-c", "kill -KILL $$"},
			wantCode:   128 + int(syscall.SIGKILL),
			wantStderr: []string{"exited with status 137"},
		},
		{
			name:       "a command that does not exist",
			command:    []string{"no-such-command-for-moto-run"},
			wantCode:   exitNotRun,
			wantStderr: []string{`"no-such-command-for-moto-run": executable file not found`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeMoto{}
			var stdout, stderr bytes.Buffer
			code := motoRun(context.Background(), motoRunConfig{Command: tc.command, Launch: fakeLaunch(f, nil),
				Stdout: &stdout, Stderr: &stderr})
			assert.Equal(t, tc.wantCode, code, stderr.String())
			for _, w := range tc.wantStderr {
				assert.Contains(t, stderr.String(), w)
			}
			if tc.noStderr != "" {
				assert.NotContains(t, stderr.String(), tc.noStderr)
			}
			assert.Equal(t, int32(1), f.stops.Load(), "the emulator is always stopped")
		})
	}
}

func TestMotoRunForwardsSignals(t *testing.T) {
	t.Parallel()
	ready := filepath.Join(t.TempDir(), "ready")
	sigs := make(chan os.Signal, 1)
	f := &fakeMoto{}
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- motoRun(context.Background(), motoRunConfig{
			Command: []string{"sh", "-c", `trap 'exit 42' TERM; touch "$0"; while :; do sleep 0.05; done`, ready},
			Signals: sigs, Launch: fakeLaunch(f, nil), Stdout: &bytes.Buffer{}, Stderr: &stderr,
		})
	}()
	require.Eventually(t, func() bool { _, err := os.Stat(ready); return err == nil }, 10*time.Second, 20*time.Millisecond)
	sigs <- syscall.SIGTERM
	select {
	case code := <-done:
		assert.Equal(t, 42, code, "the command got SIGTERM and its trap decided the status")
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not end after SIGTERM was forwarded")
	}
	assert.Equal(t, int32(1), f.stops.Load())
}

func TestMotoRunLaunchFailure(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "ran")
	var stderr bytes.Buffer
	code := motoRun(context.Background(), motoRunConfig{
		Command: []string{"touch", marker},
		Launch: func(context.Context, moto.Options) (string, motoServer, error) {
			return "", nil, errors.New("moto_server is not installed: pip install 'moto[server]==5.2.1'")
		},
		Stdout: &bytes.Buffer{}, Stderr: &stderr,
	})
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr.String(), "platform moto run: moto_server is not installed")
	assert.NoFileExists(t, marker, "the command does not run without its emulator")
}

func TestMotoCmdUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    int
		wantErr string
	}{
		{name: "no subcommand", args: nil, want: exitUsage, wantErr: "usage: platform moto run"},
		{name: "an unknown subcommand", args: []string{"start"}, want: exitUsage, wantErr: "usage: platform moto run"},
		{name: "no command", args: []string{"run", "--"}, want: exitUsage, wantErr: "no command"},
		{name: "a port out of range", args: []string{"run", "-port", "70000", "--", "true"}, want: exitUsage, wantErr: "-port 70000"},
		{name: "a port that is not a number", args: []string{"run", "-port", "45`touch x`", "--", "true"}, want: exitUsage, wantErr: "invalid value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := motoCmd(context.Background(), tc.args, Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr})
			assert.Equal(t, tc.want, code)
			assert.Contains(t, stderr.String(), tc.wantErr)
		})
	}
}

// TestMotoRunRealEmulator runs a command against a real moto_server and checks it is gone afterwards.
func TestMotoRunRealEmulator(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	require.NoError(t, err, "python3 runs moto")
	seen := filepath.Join(t.TempDir(), "endpoint")
	// The child asks moto itself, so the endpoint is live while the command runs.
	script := `import os, sys, urllib.request
url = os.environ["WEBHEALTH_MOTO_URL"]
urllib.request.urlopen(url + "/moto-api/", timeout=10).read()
open(sys.argv[1], "w").write(url)`
	var stdout, stderr bytes.Buffer
	code := motoRun(context.Background(), motoRunConfig{Command: []string{python, "-c", script, seen}, Launch: launchMoto,
		Stdout: &stdout, Stderr: &stderr})
	require.Equal(t, exitOK, code, stderr.String())
	b, err := os.ReadFile(seen)
	require.NoError(t, err)
	endpoint := string(b)
	assert.True(t, strings.HasPrefix(endpoint, "http://127.0.0.1:"), endpoint)
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(endpoint + "/moto-api/")
	if err == nil {
		_ = resp.Body.Close()
	}
	assert.Error(t, err, "the emulator is stopped when the command ends")
}
