package stack

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a background process of the stack, known by its pid file; ours tells it from whatever
// else may run under a reused pid (its command line).
type process struct {
	name    string
	pidFile string
	ours    func(argv []string) bool
}

// pid is the recorded pid when that process still runs and is ours, else 0.
func (p process) pid() int {
	b, err := os.ReadFile(p.pidFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0
	}
	argv, ok := commandLine(pid)
	if !ok || !p.ours(argv) {
		return 0
	}
	return pid
}

func (p process) record(pid int) error {
	if err := os.MkdirAll(filepath.Dir(p.pidFile), 0o750); err != nil {
		return err
	}
	return os.WriteFile(p.pidFile, []byte(strconv.Itoa(pid)+"\n"), 0o600)
}

// stop ends the recorded process group if it is still ours (SIGTERM, SIGKILL after grace), then forgets
// the pid; it says whether it stopped something.
func (p process) stop(grace time.Duration) (int, error) {
	pid := p.pid()
	if pid != 0 {
		if err := syscall.Kill(-pid, syscall.SIGTERM); err != nil {
			_ = syscall.Kill(pid, syscall.SIGTERM) // not a group leader: the process alone
		}
		deadline := time.Now().Add(grace)
		for running(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if running(pid) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if err := os.Remove(p.pidFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return pid, fmt.Errorf("forget %s: %w", p.name, err)
	}
	return pid, nil
}

// running says whether pid is a live process (a zombie is not).
func running(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		// pid (comm) state ...: comm may hold spaces and parentheses, the state follows the last ')'.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return true
}

// commandLine is the argv of a running process: /proc where there is one, else ps.
func commandLine(pid int) ([]string, bool) {
	if !running(pid) {
		return nil, false
	}
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil {
		return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), true
	}
	out, err := exec.Command("ps", "-o", "args=", "-p", strconv.Itoa(pid)).Output() // #nosec G204 -- fixed arguments
	if err != nil {
		return nil, false
	}
	return strings.Fields(string(out)), true
}

// busy says whether something accepts connections on 127.0.0.1:port.
func busy(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	_ = c.Close() // a probe only
	return true
}

// waitFree waits up to d for nothing to listen on port.
func waitFree(port int, d time.Duration) {
	deadline := time.Now().Add(d)
	for busy(port) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
}

// startDetached starts argv in its own process group with output appended to logPath, outliving the
// caller, and returns its pid.
func startDetached(argv []string, env []string, dir, logPath string) (int, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) // #nosec G304 -- under .local/logs
	if err != nil {
		return 0, err
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...) // #nosec G204 -- the platform's own binary, an argument list
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = env, dir, log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	// Reap it should it end while this process still runs, so its pid never lingers as a zombie.
	go func() { _ = cmd.Wait() }()
	return pid, nil
}
