package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/webhealth/webhealth/platform/moto"
	"github.com/webhealth/webhealth/platform/proc"
)

// motoEnvURL is the variable the integration tests read the emulator's endpoint from
// (internal/testutil/moto.EnvURL of the product).
const motoEnvURL = "WEBHEALTH_MOTO_URL"

// exitNotRun is the status when the command could not be started (as a shell reports it).
const exitNotRun = 127

const motoUsage = `usage: platform moto run [-port N] -- <command> [args]
  starts a fresh emulator on 127.0.0.1, runs the command with ` + motoEnvURL + `=<its endpoint>,
  stops the emulator and exits with the command's status

`

// motoCmd runs `platform moto run [-port N] -- <command> [args]`.
func motoCmd(ctx context.Context, args []string, env Env) int {
	cmd, rest, code := subcommand("moto", motoUsage, []string{"run"}, args, env)
	if cmd == "" {
		return code
	}
	fs, _ := newSettings("moto run", motoUsage, env)
	port := fs.Int("port", 0, "port of the emulator on 127.0.0.1 (0: a free one)")
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		return fail(env, "moto run", errors.New("no command: platform moto run [-port N] -- <command> [args]"), exitUsage)
	}
	if *port < 0 || *port > 65535 {
		return fail(env, "moto run", fmt.Errorf("-port %d: expected 0 (a free port) to 65535", *port), exitUsage)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	return motoRun(ctx, motoRunConfig{
		Port: *port, Command: fs.Args(), Signals: sigs, Launch: launchMoto,
		Stdin: os.Stdin, Stdout: env.Stdout, Stderr: env.Stderr,
	})
}

// motoServer is what motoRun needs of a running emulator.
type motoServer interface {
	Stop()
	LogTail() string
}

// launchMoto starts a moto_server that dies with this process.
func launchMoto(ctx context.Context, o moto.Options) (string, motoServer, error) {
	s, err := moto.Launch(ctx, o)
	if err != nil {
		return "", nil, err
	}
	return s.Endpoint, s, nil
}

type motoRunConfig struct {
	Port    int
	Command []string
	// Signals received by this process; each is forwarded to the command.
	Signals <-chan os.Signal
	Launch  func(context.Context, moto.Options) (string, motoServer, error)
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
}

// motoRun starts the emulator, runs the command against it and always stops it; a failed command
// gets the emulator's log tail printed after it.
func motoRun(ctx context.Context, c motoRunConfig) int {
	dir, err := os.MkdirTemp("", "platform-moto-")
	if err != nil {
		fmt.Fprintf(c.Stderr, "platform moto run: %v\n", err)
		return exitFail
	}
	defer os.RemoveAll(dir)
	endpoint, srv, err := c.Launch(ctx, moto.Options{Dir: dir, Port: c.Port})
	if err != nil {
		fmt.Fprintf(c.Stderr, "platform moto run: %v\n", err)
		return exitFail
	}
	defer srv.Stop()

	// #nosec G204 -- the command the caller asked to run, as an argument list
	cmd := exec.Command(c.Command[0], c.Command[1:]...)
	cmd.Env = proc.Env(os.Environ(), map[string]string{motoEnvURL: endpoint})
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(c.Stderr, "platform moto run: %v\n", err)
		return exitNotRun
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-c.Signals:
			_ = cmd.Process.Signal(sig) // it may have exited meanwhile: Wait reports how
		case err := <-done:
			code, ok := proc.ExitCode(err)
			if !ok {
				code = exitFail
			}
			if code != exitOK {
				fmt.Fprintf(c.Stderr, "platform moto run: %s exited with status %d; the emulator's log (%s), last lines:\n%s\n",
					c.Command[0], code, endpoint, srv.LogTail())
			}
			return code
		}
	}
}
