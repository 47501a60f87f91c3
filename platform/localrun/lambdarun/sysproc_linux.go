package lambdarun

import "syscall"

// sysProcAttr puts each function process in its own process group (so the whole group can be
// killed) and has the kernel kill it if the local runtime dies without cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
