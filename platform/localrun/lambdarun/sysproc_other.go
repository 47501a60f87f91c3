//go:build !linux

package lambdarun

import "syscall"

// sysProcAttr puts each function process in its own process group (so the whole group can be
// killed). Lambda binaries are Linux executables, so the runtime is only useful on Linux.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
