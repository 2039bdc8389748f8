// Package selftest reads the block that a rambox's /init prints when booted
// with rambox.selftest, from a raw serial log.
package selftest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Markers around the block, as printed by rootfs/tree/init.
const (
	BeginMarker = "RAMBOX-SELFTEST-BEGIN"
	EndMarker   = "RAMBOX-SELFTEST-END"
)

var (
	ErrNoBlock    = errors.New("no selftest block in the log")
	ErrIncomplete = errors.New("selftest block has no end marker")
)

// Keys every block of version 1 carries, in the order /init prints them.
var requiredKeys = []string{
	"version", "kernel", "cmdline", "hostname", "root_fstype", "mem_total_kb",
	"mem_used_kb", "rootfs_kb", "eth0_mac", "eth0_ip", "ipconfig_proto",
	"ipconfig_server", "gateway", "ping_target", "ping", "ping_received",
	"modules", "dev_entries", "applet_install_ms", "uptime_ms",
}

// Report is one parsed block.
type Report struct {
	Fields map[string]string
	Mounts []Mount
}

// Mount is one line of /proc/mounts as the box saw it.
type Mount struct{ Device, Dir, Type string }

// Int returns a numeric field.
func (r *Report) Int(key string) (int64, error) {
	v, err := strconv.ParseInt(r.Fields[key], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("selftest field %s=%q is not a number", key, r.Fields[key])
	}
	return v, nil
}

// terminalNoise matches ANSI/VT100 escape sequences that firmware and
// consoles scatter through serial logs.
var terminalNoise = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>cDEHMNO78])`)

// kernelLine matches a printk line ("[    1.234567] ..."), which may land
// inside the block if the console log level lets it through.
var kernelLine = regexp.MustCompile(`^\[\s*\d+\.\d+\]`)

// Clean strips escape sequences and carriage returns from a serial log.
func Clean(log []byte) []byte {
	log = terminalNoise.ReplaceAll(log, nil)
	return bytes.ReplaceAll(log, []byte("\r"), nil)
}

// Parse finds the last complete block in a serial log and checks that it
// has every required key.
func Parse(log []byte) (*Report, error) {
	var (
		block   []string
		inBlock bool
		found   []string
		started bool
	)
	sc := bufio.NewScanner(bytes.NewReader(Clean(log)))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == BeginMarker:
			inBlock, started, block = true, true, nil
		case line == EndMarker && inBlock:
			inBlock, found = false, block
		case inBlock && line != "" && !kernelLine.MatchString(line):
			block = append(block, line)
		}
	}
	if !started {
		return nil, ErrNoBlock
	}
	if found == nil {
		return nil, ErrIncomplete
	}
	r := &Report{Fields: map[string]string{}}
	var errs []error
	for _, line := range found {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("selftest line %q is not key=value", line))
			continue
		}
		if strings.HasPrefix(k, "mount.") {
			f := strings.Fields(v)
			if len(f) != 3 {
				errs = append(errs, fmt.Errorf("selftest %s=%q is not 'device dir type'", k, v))
				continue
			}
			r.Mounts = append(r.Mounts, Mount{f[0], f[1], f[2]})
			continue
		}
		r.Fields[k] = v
	}
	for _, k := range requiredKeys {
		if _, ok := r.Fields[k]; !ok {
			errs = append(errs, fmt.Errorf("selftest block lacks %s", k))
		}
	}
	if v := r.Fields["version"]; v != "" && v != "1" {
		errs = append(errs, fmt.Errorf("selftest block version %q, want 1", v))
	}
	if len(r.Mounts) == 0 {
		errs = append(errs, errors.New("selftest block lists no mounts"))
	}
	if sb, ok := r.Fields["secure_boot"]; ok && !validSecureBoot[sb] {
		errs = append(errs, fmt.Errorf("selftest secure_boot=%q, want %s, %s or %s", sb, SecureBootOn, SecureBootOff, SecureBootUnknown))
	}
	if box, ok := r.Fields["result"]; ok {
		if verdict, why := r.Verdict(); box != verdict {
			errs = append(errs, fmt.Errorf("selftest result=%q but its fields say %s (%v)", box, verdict, why))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// CheckRAMRoot reports every way the report contradicts a box running from
// its initramfs: a RAM-backed root, the rootfs's hostname, sane numbers.
func (r *Report) CheckRAMRoot(hostname string) error {
	var errs []error
	switch t := r.Fields["root_fstype"]; t {
	case "rootfs", "ramfs", "tmpfs":
	default:
		errs = append(errs, fmt.Errorf("root filesystem is %q, not RAM-backed", t))
	}
	if h := r.Fields["hostname"]; h != hostname {
		errs = append(errs, fmt.Errorf("hostname = %q, want %q", h, hostname))
	}
	for _, k := range []string{"mem_total_kb", "mem_used_kb", "rootfs_kb", "dev_entries"} {
		if n, err := r.Int(k); err != nil {
			errs = append(errs, err)
		} else if n <= 0 {
			errs = append(errs, fmt.Errorf("%s = %d, want > 0", k, n))
		}
	}
	return errors.Join(errs...)
}

// Verdicts, as /init prints them in the block's result line.
const (
	Pass = "PASS"
	Fail = "FAIL"
)

// Verdict is the one rule for whether a boot passed, which /init applies
// in the box (rootfs/tree/init, before its result line) and Parse holds
// the box to: the root is RAM-backed, eth0 has an address, and the ping
// did not fail. A ping skipped for want of a server or gateway to ping is
// not a failure: the address already shows the network came up. why
// lists every failed check (nil on a pass).
func (r *Report) Verdict() (result string, why error) {
	var errs []error
	switch t := r.Fields["root_fstype"]; t {
	case "rootfs", "ramfs", "tmpfs":
	default:
		errs = append(errs, fmt.Errorf("root filesystem is %q, not RAM-backed", t))
	}
	if r.Fields["eth0_ip"] == "" {
		errs = append(errs, errors.New("eth0 has no address"))
	}
	if p := r.Fields["ping"]; p == "fail" {
		errs = append(errs, fmt.Errorf("ping of %q failed", r.Fields["ping_target"]))
	}
	if len(errs) > 0 {
		return Fail, errors.Join(errs...)
	}
	return Pass, nil
}

// Result is the verdict the box printed, or "" for a block from an /init
// older than the result line (Parse has checked it against Verdict).
func (r *Report) Result() string { return r.Fields["result"] }

// Secure Boot states, as /init prints them in the block's secure_boot
// line: what the kernel logged at boot ("secureboot: Secure boot
// enabled" or "disabled", drivers/firmware/efi), unknown when it booted
// without EFI (BIOS) or did not say.
const (
	SecureBootOn      = "on"
	SecureBootOff     = "off"
	SecureBootUnknown = "unknown"
)

var validSecureBoot = map[string]bool{SecureBootOn: true, SecureBootOff: true, SecureBootUnknown: true}

// SecureBoot is the block's secure_boot (on, off or unknown; Parse has
// checked it), or "" for a block from an /init older than that line.
func (r *Report) SecureBoot() string { return r.Fields["secure_boot"] }
