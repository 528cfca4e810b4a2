// Package sandbox runs untrusted engine processes in an operating-system
// sandbox. On Linux, bubblewrap (bwrap) gives each process its own empty
// network, PID, IPC, UTS and user namespaces (as an unprivileged uid with
// no capabilities), a read-only view of only the system paths an engine
// needs (never /usr/local, /home, /root, the repository or other
// processes' /proc), a private size-capped tmpfs /tmp and an environment of
// our choosing; prlimit caps its address space, CPU time, file size and
// open files. A process that runs over its deadline is killed with
// everything it started.
//
// Where the sandbox cannot be built, New fails and callers refuse to run
// engines, unless they explicitly ask for Unsandboxed mode.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrUnavailable reports that no sandbox can be built on this machine.
var ErrUnavailable = errors.New("sandbox: unavailable")

// Limits are the resource caps of one sandboxed process.
type Limits struct {
	// MemoryBytes caps the address space (RLIMIT_AS).
	MemoryBytes int64
	// CPU caps processor time (RLIMIT_CPU, rounded up to whole seconds).
	CPU time.Duration
	// FileBytes caps the size of any file the process writes (RLIMIT_FSIZE).
	FileBytes int64
	// TmpBytes is the size of the private /tmp.
	TmpBytes int64
}

// Spec is what one engine may see and use.
type Spec struct {
	// ReadOnly are extra host paths, visible read-only at the same place;
	// those that do not exist are skipped.
	ReadOnly []string
	// Files maps a path inside the sandbox to a host file shown there
	// read-only (an engine binary kept outside the system paths).
	Files map[string]string
	// Env is the whole environment of the process.
	Env []string
	Limits
}

// systemPaths are what every engine sees: the system's programs, libraries,
// fonts and their configuration, all read-only. /usr/local is hidden under
// an empty tmpfs: it is where a machine keeps what is its own.
var systemPaths = []string{"/usr", "/etc/ld.so.cache", "/etc/fonts", "/etc/alternatives", "/var/cache/fontconfig"}

// Sandbox builds sandboxed commands.
type Sandbox struct {
	bwrap, prlimit string
	unsandboxed    bool
}

// New returns a sandbox after checking, by running a command in one, that
// it can be built here. With unsandboxed set it returns a sandbox that
// only applies the resource limits: the caller must say so loudly.
func New(unsandboxed bool) (*Sandbox, error) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		return nil, fmt.Errorf("%w: prlimit (util-linux) not found", ErrUnavailable)
	}
	if unsandboxed {
		return &Sandbox{prlimit: prlimit, unsandboxed: true}, nil
	}
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("%w: engines are sandboxed with Linux namespaces; this is %s", ErrUnavailable, runtime.GOOS)
	}
	bwrap, err := exec.LookPath("bwrap")
	if err != nil {
		return nil, fmt.Errorf("%w: bubblewrap (bwrap) not found: install the bubblewrap package", ErrUnavailable)
	}
	s := &Sandbox{bwrap: bwrap, prlimit: prlimit}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := s.Command(ctx, Spec{Limits: Limits{MemoryBytes: 256 << 20, CPU: time.Second, FileBytes: 1 << 20, TmpBytes: 1 << 20}}, "true")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%w: bwrap could not build a sandbox here (%v: %s); user namespaces may be disabled", ErrUnavailable, err, strings.TrimSpace(string(out)))
	}
	return s, nil
}

// Sandboxed reports whether commands run in the OS sandbox (false only in
// explicit unsandboxed mode).
func (s *Sandbox) Sandboxed() bool { return !s.unsandboxed }

// Command returns name with args, run under spec: in the sandbox, with its
// limits, in a process group of its own that is killed whole when ctx ends.
func (s *Sandbox) Command(ctx context.Context, spec Spec, name string, args ...string) *exec.Cmd {
	limited := append([]string{
		"--as=" + strconv.FormatInt(spec.MemoryBytes, 10),
		"--cpu=" + strconv.Itoa(int((spec.CPU+time.Second-1)/time.Second)),
		"--fsize=" + strconv.FormatInt(spec.FileBytes, 10),
		"--nofile=256",
		"--core=0",
		"--", name}, args...)
	var cmd *exec.Cmd
	if s.unsandboxed {
		cmd = exec.CommandContext(ctx, s.prlimit, limited...)
	} else {
		cmd = exec.CommandContext(ctx, s.bwrap, append(append(s.bwrapArgs(spec), "--", s.prlimit), limited...)...)
	}
	cmd.Env = spec.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// bwrapArgs are bubblewrap's options for spec. The engine is PID 1 of its
// namespace (--as-pid-1), so when it ends everything it started ends with
// it, and the rusage bwrap's parent reads is the engine's own.
func (s *Sandbox) bwrapArgs(spec Spec) []string {
	args := []string{
		"--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL",
		"--hostname", "engine", "--as-pid-1", "--die-with-parent", "--new-session",
	}
	for _, p := range append(append([]string{}, systemPaths...), spec.ReadOnly...) {
		if _, err := os.Stat(p); err == nil {
			args = append(args, "--ro-bind", p, p)
		}
	}
	for inside, host := range spec.Files {
		args = append(args, "--ro-bind", host, inside)
	}
	args = append(args,
		"--tmpfs", "/usr/local",
		"--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
		"--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
		"--proc", "/proc", "--dev", "/dev",
		"--size", strconv.FormatInt(spec.TmpBytes, 10), "--tmpfs", "/tmp",
		"--chdir", "/tmp", "--clearenv")
	for _, kv := range spec.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			args = append(args, "--setenv", k, v)
		}
	}
	return args
}

// PeakRSS is the peak resident set of a process that has exited, from the
// rusage its parent read.
func PeakRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10 // kilobytes on Linux
	}
	return 0
}

// TreePeakRSS is the largest peak resident set (VmHWM) of pid and every
// process below it, read from /proc while they run.
func TreePeakRSS(pid int) int64 {
	peak := statusKB(pid, "VmHWM:") << 10
	for _, child := range children(pid) {
		peak = max(peak, TreePeakRSS(child))
	}
	return peak
}

// TreeRSS is the resident set of pid and every process below it.
func TreeRSS(pid int) int64 {
	sum := statusKB(pid, "VmRSS:") << 10
	for _, child := range children(pid) {
		sum += TreeRSS(child)
	}
	return sum
}

// TreePSS is the proportional set size of pid and every process below it:
// the memory they use, with what they share counted once, not once per
// process as in a sum of resident sets (Chromium's processes share most
// of theirs).
func TreePSS(pid int) int64 {
	sum := fieldKB(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:") << 10
	for _, child := range children(pid) {
		sum += TreePSS(child)
	}
	return sum
}

func children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func statusKB(pid int, field string) int64 {
	return fieldKB(fmt.Sprintf("/proc/%d/status", pid), field)
}

// fieldKB reads a "Field:   123 kB" line of a /proc file.
func fieldKB(path, field string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
