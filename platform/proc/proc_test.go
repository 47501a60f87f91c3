package proc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cmd      Cmd
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "arguments reach the program as given, no shell", cmd: Cmd{Path: "printf", Args: []string{"%s|", "a b", "$(id)", "`x`;y"}},
			wantOut: "a b|$(id)|`x`;y|"},
		{name: "env is added to the environment", cmd: Cmd{Path: "sh", Args: []string{"-c", `printf %s "$PROC_TEST"`}, Env: []string{"PROC_TEST=v 1"}},
			wantOut: "v 1"},
		{name: "the working directory", cmd: Cmd{Path: "pwd", Dir: "/"}, wantOut: "/\n"},
		{name: "an exit status", cmd: Cmd{Path: "sh", Args: []string{"-c", "exit 7"}}, wantCode: 7, wantErr: `sh -c "exit 7": exit status 7`},
		{name: "a signal: 128 + its number", cmd: Cmd{Path: "sh", Args: []string{"-c", "kill -TERM $$"}}, wantCode: 143},
		{name: "a program that does not exist", cmd: Cmd{Path: "no-such-program-proc-test"}, wantCode: 1, wantErr: "run no-such-program-proc-test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			tc.cmd.Stdout = &out
			err := Run(context.Background(), tc.cmd)
			assert.Equal(t, tc.wantCode, ExitCode(err), "%v", err)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
			}
			if tc.wantOut != "" {
				assert.Equal(t, tc.wantOut, out.String())
			}
		})
	}
}

func TestRunInterruptsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := Run(ctx, Cmd{Path: "sh", Args: []string{"-c", "trap 'exit 5' INT; while :; do sleep 0.05; done"}})
	assert.Equal(t, 5, ExitCode(err), "SIGINT first, so the program can clean up: %v", err)
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestLookAndTool(t *testing.T) {
	t.Parallel()
	_, err := Look("no-such-program-proc-test", "install it")
	assert.EqualError(t, err, "no-such-program-proc-test is not installed: install it")
	_, err = Look("terraform; touch x", "hint")
	assert.EqualError(t, err, `"terraform; touch x" is not installed: hint`)
	_, err = Look("a\nb", "hint")
	assert.ErrorContains(t, err, "control characters")
	p, err := Look("sh", "hint")
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(p))

	root := t.TempDir()
	_, err = Tool(root, "tflint")
	assert.ErrorContains(t, err, "tflint is not installed in "+filepath.Join(root, ".tools", "bin")+": run make tools")
	bin := filepath.Join(root, ".tools", "bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "tflint"), []byte("data"), 0o644))
	_, err = Tool(root, "tflint")
	assert.Error(t, err, "not executable")
	require.NoError(t, os.Chmod(filepath.Join(bin, "tflint"), 0o755))
	got, err := Tool(root, "tflint")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(bin, "tflint"), got)
}
