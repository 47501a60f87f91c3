// Package proc runs the platform's programs (terraform, go, the pinned tools) as argument lists, never
// through a shell, so no setting or tag is ever re-parsed on its way to a program. Runner is the one
// seam: Exec runs for real, tests hand in a fake (a type with Run, or a RunFunc).
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Cmd is one program run.
type Cmd struct {
	Path   string    // program: a path, or a name looked up in PATH
	Args   []string  // arguments, without the program
	Dir    string    // working directory ("" = the current one)
	Env    []string  // the whole environment of the child (nil: this process's; see Env)
	Stdin  io.Reader // nil: no input
	Stdout io.Writer // nil: discarded
	Stderr io.Writer // nil: discarded
	// Foreground keeps the child in this process's group, so it may read the terminal (sudo asking for a
	// password). Otherwise it gets a group of its own and a terminal's Ctrl-C reaches it once, through
	// the context (terraform takes a second interrupt as "exit now, leave the lock").
	Foreground bool
}

// String is the command line for messages (arguments quoted when they need it).
func (c Cmd) String() string {
	parts := make([]string, 0, len(c.Args)+1)
	for _, a := range append([]string{c.Path}, c.Args...) {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`;&|<>(){}*?[]#~") {
			a = fmt.Sprintf("%q", a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// Runner runs a command to its end. nil: it exited 0; an *ExitError: it ran and exited non-zero, or its
// context stopped it; any other error: it could not start.
type Runner interface {
	Run(ctx context.Context, c Cmd) error
}

// RunFunc is a function used as a Runner (the fakes of tests).
type RunFunc func(ctx context.Context, c Cmd) error

// Run implements Runner.
func (f RunFunc) Run(ctx context.Context, c Cmd) error { return f(ctx, c) }

// Exec is the real Runner. When the context ends the child gets SIGINT (its whole group, unless
// Foreground), so terraform can release its locks, and is killed Grace later.
type Exec struct {
	Grace time.Duration // 0: a minute
}

// Run implements Runner.
func (e Exec) Run(ctx context.Context, c Cmd) error {
	path, err := exec.LookPath(c.Path)
	if err != nil {
		return fmt.Errorf("run %s: %w", c.String(), err)
	}
	cmd := exec.CommandContext(ctx, path, c.Args...) // #nosec G204 -- an argument list chosen by the platform, no shell
	cmd.Dir, cmd.Env = c.Dir, c.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	if !c.Foreground {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return interruptGroup(cmd.Process.Pid) }
	}
	cmd.WaitDelay = e.Grace
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = time.Minute
	}
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		code := -1
		if errors.As(err, &ee) {
			code = status(ee)
		}
		return &ExitError{Cmd: c.String(), Code: code, Stopped: ctx.Err()}
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return Exited(c, status(ee))
	default:
		return fmt.Errorf("run %s: %w", c.String(), err)
	}
}

// interruptGroup sends SIGINT to the process group pid leads, as a terminal's Ctrl-C would.
func interruptGroup(pid int) error {
	if err := syscall.Kill(-pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// status is the exit status of a finished command: 128+N when signal N ended it, as a shell reports it.
func status(ee *exec.ExitError) int {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}

// ExitError is a command that ran and did not succeed: it exited non-zero, or its context stopped it
// (Stopped, the context's error; Code is then what it exited with, -1 when unknown).
type ExitError struct {
	Cmd     string
	Code    int
	Stopped error
}

func (e *ExitError) Error() string {
	if e.Stopped != nil {
		return fmt.Sprintf("%s: stopped: %v", e.Cmd, e.Stopped)
	}
	return fmt.Sprintf("%s exited with status %d", e.Cmd, e.Code)
}

// Unwrap is the context's error of a stopped command, so errors.Is(err, context.Canceled) holds.
func (e *ExitError) Unwrap() error { return e.Stopped }

// Exited is the result of c ending with status code, as Exec reports it: nil for 0, else an *ExitError.
// Fakes of a Runner return it.
func Exited(c Cmd, code int) error {
	if code == 0 {
		return nil
	}
	return &ExitError{Cmd: c.String(), Code: code}
}

// ExitCode is the status a command ran to the end with: 0 for a nil err, the status of an *ExitError
// or an *exec.ExitError (128+N for signal N). ok is false when err says the command did not start or
// was stopped by its context.
func ExitCode(err error) (code int, ok bool) {
	if err == nil {
		return 0, true
	}
	var pe *ExitError
	if errors.As(err, &pe) {
		return pe.Code, pe.Stopped == nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return status(ee), true
	}
	return -1, false
}
