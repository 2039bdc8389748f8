package boot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"rambox/selftest"
	"rambox/tftproot"
)

// qemuArgs are QEMU's arguments for a PXE boot through netdev n0: TCG
// only, the firmware's console mirrored on the serial port (-nographic),
// and -no-reboot so the guest's `reboot -f` ends the run. vars is the
// run's own copy of OVMF's variable store (ovmf only).
func qemuArgs(p *plan, netdev, vars string) []string {
	args := []string{
		"-machine", "accel=tcg",
		"-m", strconv.Itoa(p.MemoryMB),
		"-nographic", "-no-reboot",
	}
	nic := fmt.Sprintf("%s,netdev=n0,mac=%s", p.model, p.mac)
	switch p.Firmware {
	case FirmwareSeaBIOS:
		args = append(args, "-boot", "n")
	case FirmwareOVMF:
		// OVMF ignores -boot; it follows the devices' bootindex.
		args = append(args,
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+qemuEscape(OVMFCode),
			"-drive", "if=pflash,format=raw,unit=1,file="+qemuEscape(vars))
		nic += ",bootindex=1"
	}
	if p.NICROM == NICROMNone {
		nic += ",romfile="
	}
	return append(args, "-netdev", netdev, "-device", nic)
}

// userNetdev is QEMU's user networking with its TFTP server on root.
func userNetdev(root string) string {
	return "user,id=n0,tftp=" + qemuEscape(root) + ",bootfile=" + tftproot.BootFile
}

// tapNetdev attaches to an existing tap device.
func tapNetdev(tap string) string {
	return "tap,id=n0,ifname=" + qemuEscape(tap) + ",script=no,downscript=no"
}

// qemuEscape escapes a value inside a QEMU option list, where a comma
// separates options and a doubled comma is a literal one.
func qemuEscape(v string) string { return strings.ReplaceAll(v, ",", ",,") }

// Mark is a milestone seen in the serial log, timed from QEMU's start.
type Mark struct {
	Name string
	At   time.Duration
}

// milestones are the serial log texts a boot is timed by: the PXE ROM
// taking over, its network configuration (DHCP and IPv6 autoconfiguration)
// started and done, pxelinux, the kernel,
// /init, and the selftest block's end.
var milestones = []struct{ name, text string }{
	{"pxe-rom", "iPXE initialising devices"},
	{"pxe-dhcp", "Configuring ("},
	{"pxe-configured", "Filename: "},
	{"pxelinux", "PXELINUX"},
	{"kernel", "Linux version"},
	{"init", "rambox: /init ready"},
	{"selftest-end", selftest.EndMarker},
}

// recorder keeps the serial log, notes milestones as they arrive, and
// copies everything to tee.
type recorder struct {
	mu    sync.Mutex
	start time.Time
	log   bytes.Buffer
	seen  []bool
	marks []Mark
	tee   io.Writer
}

func newRecorder(tee io.Writer) *recorder {
	return &recorder{start: time.Now(), seen: make([]bool, len(milestones)), tee: tee}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := time.Since(r.start)
	// Look again at a marker's length before the new bytes: a marker may
	// straddle two writes.
	from := max(r.log.Len()-64, 0)
	r.log.Write(b)
	for i, m := range milestones {
		if !r.seen[i] && bytes.Contains(r.log.Bytes()[from:], []byte(m.text)) {
			r.seen[i] = true
			r.marks = append(r.marks, Mark{m.name, at})
		}
	}
	if r.tee != nil {
		// A failing copy (a closed pipe) must not stop QEMU's output.
		if _, err := r.tee.Write(b); err != nil {
			r.tee = nil
		}
	}
	return len(b), nil
}

func (r *recorder) result() ([]byte, []Mark) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.log.Bytes()), append([]Mark(nil), r.marks...)
}

// startProc starts argv in a process group of its own (a terminal's Ctrl-C
// reaches only rambox, which then tears down in order) that is killed if
// rambox dies.
func startProc(argv []string, stdout, stderr io.Writer) (*exec.Cmd, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// runQEMU runs argv (QEMU, possibly behind `ip netns exec`) until it exits
// or ctx ends; then it is sent SIGTERM, and SIGKILL after a grace period.
func runQEMU(ctx context.Context, argv []string, rec *recorder) (elapsed time.Duration, stderr string, err error) {
	var errBuf bytes.Buffer
	rec.start = time.Now()
	cmd, err := startProc(argv, rec, &syncWriter{w: &errBuf})
	if err != nil {
		return 0, "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = stopProc(cmd, done, 5*time.Second)
		if err == nil {
			err = fmt.Errorf("stopped")
		}
	}
	return time.Since(rec.start), errBuf.String(), err
}

// stopProc ends a started process's group: SIGTERM, then SIGKILL after
// grace. done receives cmd.Wait's result.
func stopProc(cmd *exec.Cmd, done <-chan error, grace time.Duration) error {
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case err := <-done:
		return err
	case <-time.After(grace):
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	return <-done
}

// syncWriter serializes writes from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
