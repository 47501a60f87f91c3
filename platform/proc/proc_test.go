package proc_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/proc"
)

func TestExecRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cmd      proc.Cmd
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "arguments reach the program as given, no shell", cmd: proc.Cmd{Path: "printf", Args: []string{"%s|", "a b", "$(id)", "`x`;y"}},
			wantOut: "a b|$(id)|`x`;y|"},
		{name: "env is the whole environment", cmd: proc.Cmd{Path: "sh", Args: []string{"-c", `printf '%s:%s' "$PROC_TEST" "$HOME"`}, Env: []string{"PROC_TEST=v 1"}},
			wantOut: "v 1:"},
		{name: "no env is this process's", cmd: proc.Cmd{Path: "sh", Args: []string{"-c", `printf %s "$PATH"`}}, wantOut: os.Getenv("PATH")},
		{name: "the working directory", cmd: proc.Cmd{Path: "pwd", Dir: "/"}, wantOut: "/\n"},
		{name: "standard input", cmd: proc.Cmd{Path: "cat", Stdin: strings.NewReader("in put")}, wantOut: "in put"},
		{name: "an exit status", cmd: proc.Cmd{Path: "sh", Args: []string{"-c", "exit 7"}}, wantCode: 7, wantErr: `sh -c "exit 7" exited with status 7`},
		{name: "a signal: 128 + its number", cmd: proc.Cmd{Path: "sh", Args: []string{"-c", "kill -TERM $$"}}, wantCode: 143},
		{name: "a program that does not exist", cmd: proc.Cmd{Path: "no-such-program-proc-test", Args: []string{"a b"}}, wantCode: -1,
			wantErr: `run no-such-program-proc-test "a b": exec: "no-such-program-proc-test": executable file not found`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			tc.cmd.Stdout = &out
			err := proc.Exec{}.Run(context.Background(), tc.cmd)
			code, ran := proc.ExitCode(err)
			assert.Equal(t, tc.wantCode, code, "%v", err)
			assert.Equal(t, tc.wantCode != -1, ran, "whether it ran to its end: %v", err)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
			}
			if tc.wantOut != "" || tc.wantCode == 0 {
				assert.Equal(t, tc.wantOut, out.String())
			}
		})
	}
}

func TestExecInterruptsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := proc.Exec{Grace: 20 * time.Second}.Run(ctx, proc.Cmd{Path: "sh", Args: []string{"-c", "trap 'exit 5' INT; while :; do sleep 0.05; done"}})
	var ee *proc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 5, ee.Code, "SIGINT first, so the program can clean up: %v", err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, "stopped: context deadline exceeded")
	_, ran := proc.ExitCode(err)
	assert.False(t, ran, "a stopped command did not run to its end, whatever it exited with")
	assert.Less(t, time.Since(start), 10*time.Second)
}

// The whole group of the child gets the interrupt, as from a terminal: a program's own children too
// (go test's test binary, terraform's providers), once.
func TestExecInterruptsTheChildsGroup(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	script := `trap 'echo outer interrupted' INT
sh -c 'n=0; trap "n=\$((n+1))" INT; while [ $n -eq 0 ]; do sleep 0.05; done; sleep 0.3; echo inner interrupted $n times'`
	start := time.Now()
	err := proc.Exec{Grace: 10 * time.Second}.Run(ctx, proc.Cmd{Path: "sh", Args: []string{"-c", script}, Stdout: &out})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, "inner interrupted 1 times\nouter interrupted\n", out.String())
	assert.Less(t, time.Since(start), 5*time.Second, "not the grace period: the inner program ended on its interrupt")
}

func TestExecProcessGroup(t *testing.T) {
	t.Parallel()
	pgid := func(t *testing.T, foreground bool) (self, group int) {
		t.Helper()
		var out bytes.Buffer
		require.NoError(t, proc.Exec{}.Run(context.Background(), proc.Cmd{Path: "sh", Args: []string{"-c", "echo $$ $(ps -o pgid= -p $$)"},
			Stdout: &out, Foreground: foreground}))
		f := strings.Fields(out.String())
		require.Len(t, f, 2, out.String())
		self, err := strconv.Atoi(f[0])
		require.NoError(t, err)
		group, err = strconv.Atoi(f[1])
		require.NoError(t, err)
		return self, group
	}
	self, group := pgid(t, false)
	assert.Equal(t, self, group, "a group of its own")
	_, group = pgid(t, true)
	assert.Equal(t, syscall.Getpgrp(), group, "Foreground: this process's group (and terminal)")
}

func TestExitedAndExitCode(t *testing.T) {
	t.Parallel()
	c := proc.Cmd{Path: "terraform", Args: []string{"-chdir=/r/terraform/workload", "plan", "-var", "team=web ops"}}
	assert.NoError(t, proc.Exited(c, 0))
	err := proc.Exited(c, 2)
	assert.EqualError(t, err, `terraform -chdir=/r/terraform/workload plan -var "team=web ops" exited with status 2`)
	code, ran := proc.ExitCode(err)
	assert.Equal(t, 2, code)
	assert.True(t, ran)

	code, ran = proc.ExitCode(exec.Command("sh", "-c", "kill -KILL $$").Run())
	assert.Equal(t, 137, code, "an *exec.ExitError: 128 + the signal")
	assert.True(t, ran)
	_, ran = proc.ExitCode(errors.New("could not start"))
	assert.False(t, ran)

	var seen proc.Cmd
	var r proc.Runner = proc.RunFunc(func(_ context.Context, c proc.Cmd) error { seen = c; return proc.Exited(c, 3) })
	err = r.Run(context.Background(), c)
	assert.Equal(t, c.Path, seen.Path)
	code, _ = proc.ExitCode(err)
	assert.Equal(t, 3, code)
}
