// Package tfexec runs the platform's tools (terraform, go, gotestsum, tail) as argument lists, never
// through a shell, so no setting or tag is ever re-parsed on its way to a tool. Runner is the seam the
// release, build and stack tests replace with fakes.
package tfexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Cmd is one program run: Path is looked up in PATH when it has no separator.
type Cmd struct {
	Path   string
	Args   []string
	Dir    string
	Env    []string // the whole environment of the child
	Stdout io.Writer
	Stderr io.Writer
}

// Runner runs a command to its end and returns its exit status. err is set only when the command could
// not start or was stopped by the context; a non-zero exit status alone is not an error.
type Runner interface {
	Run(ctx context.Context, c Cmd) (int, error)
}

// Exec is the real Runner. The child gets a process group of its own, so a terminal's Ctrl-C reaches it
// once, through the context (terraform takes a second interrupt as "exit now, leave the lock").
type Exec struct {
	// Grace is how long a child has after SIGINT before it is killed (0: 60 s).
	Grace time.Duration
}

// Run implements Runner.
func (e Exec) Run(ctx context.Context, c Cmd) (int, error) {
	path, err := LookPath(c.Path)
	if err != nil {
		return -1, err
	}
	cmd := exec.CommandContext(ctx, path, c.Args...) // #nosec G204 -- an argument list, no shell
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = c.Dir, c.Env, c.Stdout, c.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = e.Grace
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = time.Minute
	}
	err = cmd.Run()
	if ctx.Err() != nil {
		return -1, fmt.Errorf("%s: stopped: %w", filepath.Base(c.Path), ctx.Err())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return -1, fmt.Errorf("run %s: %w", filepath.Base(c.Path), err)
	}
	return 0, nil
}

// LookPath resolves a command name (PATH) or path, with a message that says what to install.
func LookPath(name string) (string, error) {
	if name == "" {
		return "", errors.New("no command given")
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is not installed or not executable: %w", name, err)
	}
	return p, nil
}

// ExitError is a command that ran and failed.
type ExitError struct {
	Cmd  string
	Code int
}

func (e *ExitError) Error() string { return fmt.Sprintf("%s exited with status %d", e.Cmd, e.Code) }

// Check runs c and turns a non-zero exit status into an *ExitError.
func Check(ctx context.Context, r Runner, c Cmd) error {
	code, err := r.Run(ctx, c)
	if err != nil {
		return err
	}
	if code != 0 {
		return &ExitError{Cmd: filepath.Base(c.Path) + " " + strings.Join(firstArgs(c.Args, 1), " "), Code: code}
	}
	return nil
}

// Output runs c and returns its standard output (its standard error goes to c.Stderr).
func Output(ctx context.Context, r Runner, c Cmd) ([]byte, error) {
	var out bytes.Buffer
	c.Stdout = &out
	if err := Check(ctx, r, c); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func firstArgs(args []string, n int) []string {
	var out []string
	for _, a := range args {
		if len(out) == n {
			break
		}
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

// Env is a child environment: base with the given variables set (replacing any of the same name) and
// the names in unset removed.
func Env(base []string, set map[string]string, unset ...string) []string {
	drop := map[string]bool{}
	for _, k := range unset {
		drop[k] = true
	}
	for k := range set {
		drop[k] = true
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		out = append(out, k+"="+set[k])
	}
	return out
}

// TerraformEnv adds the project's Terraform settings to env where they are not set: the CLI config the
// platform writes (.tf/cli.tfrc, when present; also over a TF_CLI_CONFIG_FILE naming no file), the plugin
// cache, no checkpoint calls, automation mode.
func TerraformEnv(env []string, root string) ([]string, error) {
	have := map[string]bool{}
	cliConfig := ""
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		have[k] = v != ""
		if k == "TF_CLI_CONFIG_FILE" {
			cliConfig = v
		}
	}
	set := map[string]string{}
	// A CLI config named but missing (a stale TF_CLI_CONFIG_FILE) is replaced too, as the e2e suite does.
	if !have["TF_CLI_CONFIG_FILE"] || !fileExists(cliConfig) {
		if f := filepath.Join(root, ".tf", "cli.tfrc"); fileExists(f) {
			set["TF_CLI_CONFIG_FILE"] = f
		}
	}
	if !have["TF_PLUGIN_CACHE_DIR"] {
		d := filepath.Join(root, ".tf", "plugin-cache")
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("terraform plugin cache: %w", err)
		}
		set["TF_PLUGIN_CACHE_DIR"] = d
	}
	if !have["TF_IN_AUTOMATION"] {
		set["TF_IN_AUTOMATION"] = "1"
	}
	if !have["CHECKPOINT_DISABLE"] {
		set["CHECKPOINT_DISABLE"] = "1"
	}
	return Env(env, set), nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
