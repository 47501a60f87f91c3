// Package proc runs the platform's external commands (terraform, go, the pinned tools) as argument
// lists, never through a shell, and finds them with a message that says how to install a missing one.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Cmd is one command to run.
type Cmd struct {
	Dir    string    // working directory ("" = the current one)
	Path   string    // program: a path, or a name looked up in PATH
	Args   []string  // arguments, without the program
	Env    []string  // KEY=VALUE added to (and overriding) the process environment
	Stdin  io.Reader // nil: no input
	Stdout io.Writer // nil: discarded
	Stderr io.Writer // nil: discarded
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

// ExitError is a command that ran and exited non-zero.
type ExitError struct {
	Cmd  string
	Code int
}

func (e *ExitError) Error() string { return fmt.Sprintf("%s: exit status %d", e.Cmd, e.Code) }

// ExitCode is the exit status carried by err: 0 for nil, the command's for an *ExitError, 1 otherwise.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}

// Run runs c and waits for it. A cancelled ctx interrupts the command (SIGINT, so terraform releases
// its locks) and kills it 30 s later.
func Run(ctx context.Context, c Cmd) error {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...) // #nosec G204 -- argument lists chosen by the platform, no shell
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		code := ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		return &ExitError{Cmd: c.String(), Code: code}
	default:
		return fmt.Errorf("run %s: %w", c.String(), err)
	}
}

// Look finds a program: name as given when it contains a slash, else in PATH. hint says how to get it.
func Look(name, hint string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("no program named: %s", hint)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("%q is not a program name (control characters): %s", name, hint)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		shown := name
		if strings.ContainsFunc(name, func(r rune) bool { return !strings.ContainsRune(plainNameChars, r) }) {
			shown = fmt.Sprintf("%q", name)
		}
		return "", fmt.Errorf("%s is not installed: %s", shown, hint)
	}
	return p, nil
}

// plainNameChars are shown unquoted in a message about a program name.
const plainNameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+"

// Tool is a pinned tool of .tools/bin (tools/go.mod), which `make tools` installs.
func Tool(root, name string) (string, error) {
	p := filepath.Join(root, ".tools", "bin", name)
	info, err := os.Stat(p)
	if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not installed in %s: run make tools (versions in tools/go.mod)", name, filepath.Dir(p))
	}
	return p, nil
}
