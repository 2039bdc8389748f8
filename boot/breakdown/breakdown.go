// Package breakdown says where a PXE boot's time goes, power-on to the
// selftest's end, from its serial log alone: the host times at which the
// firmware's, the boot loader's, the kernel's and /init's lines arrived
// (boot.Result.Stamps, cut into lines by Split), the kernel's
// initcall_debug durations, and the selftest block's fields.
//
// Why kernel events are taken at their arrival and not at their printk
// time mapped to host time: under QEMU TCG the printk clock runs slow
// until the TSC is calibrated (on this machine 0.03 s of printk time
// passed in 160 ms of host time), so no one offset maps printk time to
// host time over the whole boot. Once the console is up the kernel
// writes each line as it prints it (loglevel=8 with initcall_debug keeps
// it busy), so arrival times are within milliseconds of the events;
// printk and initcall durations are used only for spans inside kernel
// init, where the clock is steady.
package breakdown

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"rambox/selftest"
)

// The phases, in boot order. Their durations add up to the boot's
// power-on -> selftest end.
const (
	Firmware     = "firmware"      // QEMU start -> the PXE firmware starts DHCP (SeaBIOS POST, NIC ROM)
	FirmwareDHCP = "firmware-dhcp" // DHCP (and iPXE's IPv6 autoconfiguration) -> the boot file's name
	LoaderFetch  = "loader-fetch"  // the iPXE script, or pxelinux.0 + ldlinux.c32 + its config
	Transfer     = "transfer"      // kernel and initramfs
	Decompress   = "decompress"    // bzImage decompression to "Linux version", plus the initramfs unpack
	KernelInit   = "kernel-init"   // "Linux version" -> running /init, less the unpack and IP autoconfig
	IPConfig     = "ipconfig"      // the kernel's IP autoconfiguration (ip=dhcp), ip_auto_config's run
	Init         = "init"          // running /init -> "/init ready"
	Selftest     = "selftest"      // "/init ready" -> the selftest block's end, less its pings
	Pings        = "pings"         // the selftest's pings of the boot server
)

// PhaseNames are the phases in order.
var PhaseNames = []string{Firmware, FirmwareDHCP, LoaderFetch, Transfer, Decompress, KernelInit, IPConfig, Init, Selftest, Pings}

// selftestPings is how many echo requests the selftest sends
// (rootfs/tree/init: ping -c 3 -A). An /init that prints ping_ms timed
// them itself; an older one sent them one a second (no -A), and busybox
// ping exits at the last reply, so a ping that got every reply took
// (selftestPings-1) seconds plus a round trip.
const selftestPings = 3

// Phase is one span of the boot.
type Phase struct {
	Name     string
	Duration time.Duration
}

// Initcall is one kernel initcall and how long it ran (initcall_debug).
type Initcall struct {
	Name     string
	Duration time.Duration
}

// Breakdown is a boot cut into phases, power-on to the selftest's end.
type Breakdown struct {
	Phases    []Phase    // in PhaseNames order, every one present
	Initcalls []Initcall // in the order they ran; empty without initcall_debug
	Notes     []string   // what was estimated or missing
	// IP autoconfig apart (initcall_debug and printk times): from
	// ip_auto_config's start to "Sending DHCP requests" (waiting for
	// device probes to finish, opening the devices, the carrier wait),
	// and from there to the DHCP answer. Zero when the lines are absent.
	IPConfigBeforeDHCP, IPConfigDHCP time.Duration
	// The decompression phase apart, so that compressions can be compared:
	// the kernel image's own (the boot loader's fetch done -> "Linux
	// version": the bzImage decompressor, arriving at host times) and the
	// initramfs unpack (printk times). Their sum is the phase.
	KernelDecompress, InitramfsUnpack time.Duration
}

// Total is the phases' sum: power-on -> selftest end.
func (b *Breakdown) Total() time.Duration {
	var t time.Duration
	for _, p := range b.Phases {
		t += p.Duration
	}
	return t
}

// Phase returns the named phase's duration.
func (b *Breakdown) Phase(name string) time.Duration {
	for _, p := range b.Phases {
		if p.Name == name {
			return p.Duration
		}
	}
	return 0
}

// Slowest returns the n longest initcalls, longest first (ties in the
// order they ran).
func (b *Breakdown) Slowest(n int) []Initcall {
	s := append([]Initcall(nil), b.Initcalls...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Duration > s[j].Duration })
	return s[:min(max(n, 0), len(s))]
}

// The texts phases are cut at.
var (
	// A PXE firmware starting DHCP: iPXE (QEMU's NIC ROMs, ipxe.efi),
	// OVMF's own PXE, a legacy PXE ROM.
	dhcpStart = []string{"Configuring (", ">>Start PXE over IPv4", "CLIENT MAC ADDR"}
	// ... and having its answer.
	dhcpDone = []string{"Filename: ", "NBP filename is", "CLIENT IP:"}
	// The loader's request for the kernel: pxelinux's and syslinux's
	// "Loading NAME... ok".
	loadingPrefix = "Loading "
	// The end of an iPXE script's fetch: "NAME : 498 bytes [script]".
	scriptSuffix = "[script]"
	// A fetch done: iPXE's "NAME... ok", pxelinux's "NAME...ok", and
	// iPXE's last "... o" that the kernel's first line cut short (the
	// serial log shows no "k").
	fetched     = regexp.MustCompile(`\.\.\. ?ok?$`)
	kernelStart = "Linux version "
	// Running /init: 6.1 prints "Run /init as init process", 2.6.39 only
	// "Freeing unused kernel memory: ...", the last line before init runs.
	runInit     = []string{"Run /init as init process", "Freeing unused kernel"}
	initReady   = "rambox: /init ready"
	unpackStart = []string{"Trying to unpack rootfs image as initramfs", "Unpacking initramfs"}
	unpackEnd   = "Freeing initrd memory"

	printkTime = regexp.MustCompile(`^\[\s*(\d+)\.(\d{6})\]\s?`)
	// initcall_debug: "initcall ip_auto_config+0x0/0xeb2 returned 0 after 223802 usecs".
	initcallDone = regexp.MustCompile(`^initcall (\S+?)(?:\+0x[0-9a-f]+/0x[0-9a-f]+)?(?: \[\S+\])? returned -?\d+ after (\d+) usecs`)
)

// ipAutoConfig is the initcall that runs the kernel's ip= autoconfiguration.
const ipAutoConfig = "ip_auto_config"

// kernelLine is a kernel line's printk time (ok: it had one) and text.
func kernelLine(text string) (ts time.Duration, rest string, ok bool) {
	m := printkTime.FindStringSubmatch(text)
	if m == nil {
		return 0, text, false
	}
	s, _ := strconv.ParseInt(m[1], 10, 64)
	us, _ := strconv.ParseInt(m[2], 10, 64)
	return time.Duration(s)*time.Second + time.Duration(us)*time.Microsecond, text[len(m[0]):], true
}

func hasAny(text string, subs []string) bool {
	for _, s := range subs {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// ErrIncomplete is returned (wrapped) when a line that ends a phase is
// missing: the boot did not reach the selftest's end, or the log is not a
// PXE boot's.
var ErrIncomplete = errors.New("serial log incomplete")

// Analyze cuts a boot's timed lines into phases.
func Analyze(lines []Line) (*Breakdown, error) {
	// Indexes into lines of the lines phases are cut at; -1: not seen.
	dhcpAt, dhcpDoneAt, transferAt, transferEnd := -1, -1, -1, -1
	kernelAt, runInitAt, readyAt, endAt := -1, -1, -1, -1
	// printk times inside kernel init and ip_auto_config's run; -1: not seen.
	var unpackFrom, unpackTo, ipconfig, ipcFirst, ipcLast, ipcCalled, dhcpSent, dhcpAnswer time.Duration = -1, -1, -1, -1, -1, -1, -1, -1
	b := &Breakdown{}
	var block []string
	for i, l := range lines {
		t := l.Text
		switch {
		case kernelAt < 0 && readyAt < 0:
			// The firmware and the boot loader.
			switch {
			case dhcpAt < 0 && hasAny(t, dhcpStart):
				dhcpAt = i
			case dhcpAt >= 0 && dhcpDoneAt < 0 && hasAny(t, dhcpDone):
				dhcpDoneAt = i
			case dhcpDoneAt >= 0 && transferAt < 0 && strings.HasSuffix(t, scriptSuffix):
				transferAt = i + 1 // the script's fetches follow it
			case dhcpDoneAt >= 0 && transferAt < 0 && strings.HasPrefix(t, loadingPrefix):
				transferAt = i
			}
			if transferAt >= 0 && i >= transferAt && fetched.MatchString(t) {
				transferEnd = i
			}
			switch {
			case strings.Contains(t, kernelStart):
				kernelAt = i
			case strings.HasPrefix(t, initReady):
				readyAt = i // a quiet kernel printed nothing before it
			}
		case readyAt < 0:
			ts, rest, _ := kernelLine(t)
			switch {
			case hasAny(rest, unpackStart) && unpackFrom < 0:
				unpackFrom = ts
			case strings.HasPrefix(rest, unpackEnd) && unpackFrom >= 0 && unpackTo < 0:
				unpackTo = ts
			case strings.HasPrefix(rest, "IP-Config:") || strings.HasPrefix(rest, "Sending DHCP requests"):
				if ipcFirst < 0 {
					ipcFirst = ts
				}
				ipcLast = ts
				switch {
				case strings.HasPrefix(rest, "Sending DHCP requests") && dhcpSent < 0:
					dhcpSent = ts
				case strings.HasPrefix(rest, "IP-Config: Got DHCP answer"):
					dhcpAnswer = ts
				}
			case strings.HasPrefix(rest, "calling  "+ipAutoConfig+"+"):
				ipcCalled = ts
			case strings.HasPrefix(rest, initReady):
				readyAt = i
			case hasAny(rest, runInit):
				runInitAt = i // the last one counts
			}
			if m := initcallDone.FindStringSubmatch(rest); m != nil {
				us, _ := strconv.ParseInt(m[2], 10, 64)
				c := Initcall{Name: m[1], Duration: time.Duration(us) * time.Microsecond}
				b.Initcalls = append(b.Initcalls, c)
				if c.Name == ipAutoConfig {
					ipconfig = c.Duration
				}
			}
		default:
			switch {
			case t == selftest.BeginMarker:
				block = block[:0]
			case t == selftest.EndMarker:
				endAt = i
			default:
				block = append(block, t)
			}
		}
		if endAt >= 0 {
			break
		}
	}
	var missing []string
	for _, c := range []struct {
		at   int
		what string
	}{
		{dhcpAt, "a PXE firmware starting DHCP (" + strings.Join(dhcpStart, ", ") + ")"},
		{dhcpDoneAt, "its DHCP answer (" + strings.Join(dhcpDone, ", ") + ")"},
		{transferAt, "the kernel's fetch (an iPXE script's " + scriptSuffix + " line, or " + loadingPrefix + "...)"},
		{transferEnd, "the kernel's and initramfs's fetch done (... ok)"},
		{kernelAt, strings.TrimSpace(kernelStart)},
		{runInitAt, "the kernel running /init (" + strings.Join(runInit, ", ") + ")"},
		{readyAt, initReady},
		{endAt, selftest.EndMarker},
	} {
		if c.at < 0 {
			missing = append(missing, c.what)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: no line for %s", ErrIncomplete, strings.Join(missing, "; "))
	}

	span := func(from, to time.Duration) time.Duration { return max(to-from, 0) }
	var unpack time.Duration
	if unpackFrom >= 0 && unpackTo >= 0 {
		unpack = span(unpackFrom, unpackTo)
	} else {
		b.Notes = append(b.Notes, "no initramfs unpack lines (loglevel below 6?): the unpack is in kernel init")
	}
	if ipconfig < 0 && ipcFirst >= 0 {
		// Without initcall_debug: the span of the IP-Config lines, a lower
		// bound (the device opening before the first line is missed).
		ipconfig = span(ipcFirst, ipcLast)
		b.Notes = append(b.Notes, "no ip_auto_config initcall line (initcall_debug off): IP autoconfig is the span of its IP-Config lines")
	}
	ipconfig = max(ipconfig, 0)
	if ipcCalled >= 0 && dhcpSent >= ipcCalled {
		b.IPConfigBeforeDHCP = dhcpSent - ipcCalled
	}
	if dhcpSent >= 0 && dhcpAnswer >= dhcpSent {
		b.IPConfigDHCP = dhcpAnswer - dhcpSent
	}
	kernel := span(lines[kernelAt].At, lines[runInitAt].At)
	// The unpack and the IP autoconfig ran inside the kernel's span; a
	// log whose figures exceed it (a clock gone wrong) keeps kernel init
	// at zero rather than negative.
	unpack = min(unpack, kernel)
	ipconfig = min(ipconfig, kernel-unpack)

	b.KernelDecompress = span(lines[transferEnd].At, lines[kernelAt].At)
	b.InitramfsUnpack = unpack

	selftestSpan := span(lines[readyAt].At, lines[endAt].At)
	fields := map[string]string{}
	for _, kv := range block {
		if k, v, ok := strings.Cut(kv, "="); ok {
			fields[k] = v
		}
	}
	var pings time.Duration
	ms, msErr := strconv.ParseInt(fields["ping_ms"], 10, 64)
	switch {
	case fields["ping"] != "skipped" && msErr == nil && ms >= 0:
		pings = min(time.Duration(ms)*time.Millisecond, selftestSpan)
	case fields["ping"] == "ok" && fields["ping_received"] == strconv.Itoa(selftestPings):
		pings = min((selftestPings-1)*time.Second, selftestSpan)
	case fields["ping"] == "skipped":
	default:
		b.Notes = append(b.Notes, fmt.Sprintf("selftest ping=%q ping_received=%q: its time is not known apart, it stays in the selftest phase",
			fields["ping"], fields["ping_received"]))
	}

	b.Phases = []Phase{
		{Firmware, lines[dhcpAt].Start},
		{FirmwareDHCP, span(lines[dhcpAt].Start, lines[dhcpDoneAt].At)},
		{LoaderFetch, span(lines[dhcpDoneAt].At, lines[transferAt].Start)},
		{Transfer, span(lines[transferAt].Start, lines[transferEnd].At)},
		{Decompress, b.KernelDecompress + b.InitramfsUnpack},
		{KernelInit, kernel - unpack - ipconfig},
		{IPConfig, ipconfig},
		{Init, span(lines[runInitAt].At, lines[readyAt].At)},
		{Selftest, selftestSpan - pings},
		{Pings, pings},
	}
	return b, nil
}
