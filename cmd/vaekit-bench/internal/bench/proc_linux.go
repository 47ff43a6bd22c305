package bench

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the child process get killed if the benchmark is (so that an
// interrupted run leaves no training process behind on a shared machine).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
