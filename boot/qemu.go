package boot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
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
	machine := "accel=tcg"
	var cpu []string
	switch p.Firmware {
	case FirmwareOVMFSecureBoot:
		// The Secure Boot build keeps its variables behind SMM, which
		// QEMU has on q35 only; without smm=on it stops at power-on.
		machine = "q35,smm=on,accel=tcg"
	case FirmwareAAVMF:
		// The arm64 profile's kernel has no ACPI: AAVMF hands over
		// QEMU's device tree only when the machine has no ACPI tables.
		machine = "virt,acpi=off,accel=tcg"
		cpu = []string{"-cpu", "cortex-a57"}
	}
	args := append([]string{
		"-machine", machine,
		"-m", strconv.Itoa(p.MemoryMB),
		"-nographic", "-no-reboot",
	}, cpu...)
	nic := fmt.Sprintf("%s,netdev=n0,mac=%s", p.model, p.mac)
	if code, _, ok := ovmfImages(p.Firmware); ok {
		// OVMF ignores -boot; it follows the devices' bootindex.
		args = append(args,
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+qemuEscape(code),
			"-drive", "if=pflash,format=raw,unit=1,file="+qemuEscape(vars))
		if p.Firmware == FirmwareOVMFSecureBoot {
			// Only code running in SMM may write the flash: the guest
			// OS cannot rewrite db or turn Secure Boot off.
			args = append(args, "-global", "driver=cfi.pflash01,property=secure,value=on")
		}
		nic += ",bootindex=1"
		if p.HTTPBoot {
			// OVMF's knobs (fw_cfg) for its PXE boot options: without
			// them, UEFI HTTP Boot over IPv4 is the NIC's first option.
			args = append(args,
				"-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=n",
				"-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=n")
		}
	} else {
		args = append(args, "-boot", "n")
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

// milestones are the serial log texts a boot is timed by: OVMF's own
// PXE starting (UEFI without a NIC ROM), the PXE ROM (or ipxe.efi)
// taking over, its network configuration (DHCP and IPv6 autoconfiguration)
// started and done, pxelinux, the kernel,
// /init, and the selftest block's end. A milestone is seen at the first
// of its texts to appear: iPXE's EFI build (QEMU's ROM under OVMF, or
// ipxe.efi) never prints "initialising devices", only its banner, which
// the BIOS build prints after that line.
var milestones = []struct {
	name  string
	texts []string
}{
	{"firmware-pxe", []string{">>Start PXE over IPv4"}},
	{"pxe-rom", []string{"iPXE initialising devices", "Open Source Network Boot Firmware"}},
	{"pxe-dhcp", []string{"Configuring ("}},
	{"pxe-configured", []string{"Filename: "}},
	{"pxelinux", []string{"PXELINUX"}},
	{"kernel", []string{"Linux version"}},
	{"init", []string{"rambox: /init ready"}},
	{"selftest-end", []string{selftest.EndMarker}},
}

// Stamp says when a piece of the serial log arrived: the log's bytes up
// to End (exclusive) had all arrived At, timed from QEMU's start. One
// stamp per write QEMU made, so a line is timed by the first stamp whose
// End passes its newline (boot/breakdown splits the log that way).
type Stamp struct {
	End int
	At  time.Duration
}

// recorder keeps the serial log, notes milestones as they arrive, and
// copies everything to tee.
type recorder struct {
	mu     sync.Mutex
	start  time.Time
	log    bytes.Buffer
	stamps []Stamp
	seen   []bool
	marks  []Mark
	tee    io.Writer
	// keys is the serial console's input. iPXE (QEMU's NIC ROM, and
	// ipxe.efi) waits 2 s at "Press Ctrl-B for the iPXE command line..."
	// (its compiled-in BANNER_TIMEOUT) before it even starts DHCP; any
	// other key ends the wait at once and iPXE boots on, so the recorder
	// answers each prompt with a space, as someone at the console would.
	// Boot times then measure the boot, not a firmware's fixed pause.
	keys     io.Writer
	answered int // log length when the last prompt was answered
}

// ipxePrompt is iPXE's banner wait (see recorder.keys).
const ipxePrompt = "Press Ctrl-B for the iPXE command line"

func newRecorder(tee io.Writer) *recorder {
	return &recorder{start: time.Now(), seen: make([]bool, len(milestones)), tee: tee}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := time.Since(r.start)
	// Look again at some bytes before the new ones: a marker may straddle
	// two writes. Escape sequences are stripped as selftest does, since
	// firmware consoles put them anywhere; a UEFI text console puts a
	// cursor move (~16 bytes) before every character, hence the long look
	// back.
	from := max(r.log.Len()-1024, 0)
	r.log.Write(b)
	r.stamps = append(r.stamps, Stamp{End: r.log.Len(), At: at})
	window := selftest.Clean(r.log.Bytes()[from:])
	for i, m := range milestones {
		if r.seen[i] {
			continue
		}
		for _, text := range m.texts {
			if bytes.Contains(window, []byte(text)) {
				r.seen[i] = true
				r.marks = append(r.marks, Mark{m.name, at})
				break
			}
		}
	}
	if r.keys != nil && bytes.Contains(selftest.Clean(r.log.Bytes()[max(from, r.answered):]), []byte(ipxePrompt)) {
		r.answered = r.log.Len()
		keys := r.keys
		go keys.Write([]byte(" ")) // never blocks the log: a full pipe waits alone
	}
	if r.tee != nil {
		// A failing copy (a closed pipe) must not stop QEMU's output.
		if _, err := r.tee.Write(b); err != nil {
			r.tee = nil
		}
	}
	return len(b), nil
}

func (r *recorder) result() ([]byte, []Mark, []Stamp) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.log.Bytes()), append([]Mark(nil), r.marks...), append([]Stamp(nil), r.stamps...)
}

// startProc starts argv in a process group of its own (a terminal's Ctrl-C
// reaches only rambox, which then tears down in order) that is killed if
// rambox dies.
func startProc(argv []string, stdout, stderr io.Writer) (*exec.Cmd, error) {
	return startProcIn(argv, nil, stdout, stderr)
}

// startProcIn is startProc with stdin.
func startProcIn(argv []string, stdin io.Reader, stdout, stderr io.Writer) (*exec.Cmd, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
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
	// The serial console's input (see recorder.keys): an OS pipe, which
	// QEMU gets as its stdin itself, so Wait waits for no copying.
	keys, typed, err := os.Pipe()
	if err != nil {
		return 0, "", err
	}
	defer typed.Close()
	rec.keys = typed
	rec.start = time.Now()
	cmd, err := startProcIn(argv, keys, rec, &syncWriter{w: &errBuf})
	keys.Close() // QEMU has its own copy
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
