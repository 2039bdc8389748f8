package breakdown

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readFixture(t *testing.T, name string) []Line {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return lines
}

// us is a duration in microseconds, as the fixtures' figures are given.
func us(n int64) time.Duration { return time.Duration(n) * time.Microsecond }

// The fixtures are real boots of the linux-6.1 bundle from `rambox serve`
// (bench/internal/bootbreak -logs): SeaBIOS + QEMU's iPXE ROM, over HTTP
// (iPXE script) and over TFTP (pxelinux), with printk.time=1
// initcall_debug loglevel=8, and one HTTP boot with printk.time=1 alone.
func TestAnalyzeFixtures(t *testing.T) {
	for _, tc := range []struct {
		file    string
		phases  []time.Duration // in PhaseNames order, to the microsecond
		slowest []string
		ipc     [2]time.Duration // IPConfigBeforeDHCP, IPConfigDHCP
		unpack  time.Duration    // InitramfsUnpack
		notes   int
	}{
		{
			file: "linux-6.1-http-initcall-debug.log",
			// firmware to "Configuring (" 285 ms; DHCP and IPv6 to "Filename:"
			// 43 ms; the script 41 ms; bzImage and initramfs 153 ms; ...
			phases:  []time.Duration{us(285340), us(43023), us(41166), us(152641), us(271241), us(855274), us(203512), us(132536), us(168340), 2 * time.Second},
			slowest: []string{"ip_auto_config", "virtio_pci_driver_init", "acpi_init"},
			// 184 ms from ip_auto_config's start to its first DHCP request.
			ipc: [2]time.Duration{us(184092), us(16287)},
			// "Trying to unpack rootfs" [0.467629] -> "Freeing initrd memory" [0.512958].
			unpack: us(45329),
		},
		{
			file:    "linux-6.1-tftp-initcall-debug.log",
			phases:  []time.Duration{us(292483), us(47248), us(92892), us(878104), us(369347), us(825081), us(214593), us(146006), us(263572), 2 * time.Second},
			slowest: []string{"ip_auto_config", "virtio_pci_driver_init", "acpi_init"},
			ipc:     [2]time.Duration{us(190847), us(20246)},
			unpack:  us(51588),
		},
		{
			file: "linux-6.1-http-default-loglevel.log",
			// No initcall lines: IP autoconfig is the IP-Config lines' span.
			phases: []time.Duration{us(222107), us(35705), us(42375), us(175273), us(387465), us(735999), us(24879), us(118557), us(169123), 2 * time.Second},
			ipc:    [2]time.Duration{0, us(6300)},
			unpack: us(195570),
			notes:  1,
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			lines := readFixture(t, tc.file)
			b, err := Analyze(lines)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Phases) != len(PhaseNames) {
				t.Fatalf("Analyze(%q) gave %d phases, want %d", tc.file, len(b.Phases), len(PhaseNames))
			}
			for i, p := range b.Phases {
				if p.Name != PhaseNames[i] || p.Duration.Round(time.Microsecond) != tc.phases[i] {
					t.Errorf("Analyze(%q) phase %d = %s %v, want %s %v", tc.file, i, p.Name, p.Duration, PhaseNames[i], tc.phases[i])
				}
			}
			// The phases cover the boot: their sum is the end marker's arrival.
			var end time.Duration
			for _, l := range lines {
				if l.Text == "RAMBOX-SELFTEST-END" {
					end = l.At
				}
			}
			if got := b.Total(); got != end {
				t.Errorf("Analyze(%q).Total() = %v, want %v (the end marker's arrival)", tc.file, got, end)
			}
			var names []string
			for _, c := range b.Slowest(len(tc.slowest)) {
				names = append(names, c.Name)
			}
			if got, want := strings.Join(names, ","), strings.Join(tc.slowest, ","); got != want {
				t.Errorf("Analyze(%q).Slowest(%d) = %q, want %q", tc.file, len(tc.slowest), got, want)
			}
			if got := [2]time.Duration{b.IPConfigBeforeDHCP, b.IPConfigDHCP}; got != tc.ipc {
				t.Errorf("Analyze(%q) IP autoconfig before DHCP, DHCP = %v, want %v", tc.file, got, tc.ipc)
			}
			// The decompression phase is the kernel's plus the initramfs's,
			// and the unpack is the printk span of its two lines.
			if got, want := b.KernelDecompress+b.InitramfsUnpack, b.Phase(Decompress); got != want || b.InitramfsUnpack != tc.unpack {
				t.Errorf("Analyze(%q) kernel decompress %v + initramfs unpack %v = %v, want %v with unpack %v",
					tc.file, b.KernelDecompress, b.InitramfsUnpack, got, want, tc.unpack)
			}
			if len(b.Notes) != tc.notes {
				t.Errorf("Analyze(%q) notes = %q, want %d", tc.file, b.Notes, tc.notes)
			}
		})
	}
}

// A log without what ends a phase is refused, naming what is missing.
func TestAnalyzeIncomplete(t *testing.T) {
	full := readFixture(t, "linux-6.1-http-initcall-debug.log")
	upTo := func(text string) []Line {
		for i, l := range full {
			if strings.Contains(l.Text, text) {
				return full[:i]
			}
		}
		t.Fatalf("fixture has no %q", text)
		return nil
	}
	for _, tc := range []struct {
		name  string
		lines []Line
		want  string
	}{
		{"no selftest end", upTo("RAMBOX-SELFTEST-END"), "RAMBOX-SELFTEST-END"},
		{"killed in the kernel", upTo("Freeing unused kernel"), "the kernel running /init"},
		{"stopped in the firmware", upTo("Filename:"), "its DHCP answer"},
		// A quiet kernel prints neither "Linux version" nor "Run /init".
		{"quiet", readFixture(t, "linux-6.1-http-quiet.log"), "Linux version; the kernel running /init"},
		{"empty", nil, "a PXE firmware starting DHCP"},
	} {
		_, err := Analyze(tc.lines)
		if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Analyze(%s) error = %v, want ErrIncomplete naming %q", tc.name, err, tc.want)
		}
	}
	if _, err := Analyze(readFixture(t, "linux-6.1-http-quiet.log")); strings.Contains(err.Error(), "/init ready") {
		t.Errorf("Analyze(quiet) error = %v: the log has /init ready", err)
	}
}

// lines builds a log from "MS TEXT" strings, each line arriving at once.
func lines(spec ...string) []Line {
	var out []Line
	for _, s := range spec {
		ms, text, _ := strings.Cut(s, " ")
		d, _ := time.ParseDuration(ms + "ms")
		out = append(out, Line{Start: d, At: d, Text: text})
	}
	return out
}

// Boot loaders and kernels other than the fixtures': pxelinux from a
// legacy PXE ROM with a 2.6.39-style kernel ("Unpacking initramfs...",
// "Freeing unused kernel memory"), a failed ping, and fetch lines that end
// in "...ok" without a space.
func TestAnalyzeOtherLoaders(t *testing.T) {
	b, err := Analyze(lines(
		"100 CLIENT MAC ADDR: 52 54 00 12 34 56  GUID: ...",
		"400 CLIENT IP: 10.0.0.2  MASK: 255.255.255.0  DHCP IP: 10.0.0.1",
		"450 PXELINUX 6.04 PXE 20200816",
		"500 Loading bzImage...ok",
		"900 Loading initramfs.cpio.gz...ok",
		"1000 [    0.000000] Linux version 2.6.39 (rambox@rambox)",
		"1100 [    0.200000] Unpacking initramfs...",
		"1150 [    0.230000] Freeing initrd memory: 500k freed",
		"1200 [    0.300000] initcall ip_auto_config+0x0/0x10 returned 0 after 100000 usecs",
		"1300 [    0.400000] Freeing unused kernel memory: 400k freed",
		"1500 rambox: /init ready on 2.6.39 at 600 ms of kernel uptime",
		"1600 RAMBOX-SELFTEST-BEGIN",
		"1600 ping=fail",
		"1600 ping_received=0",
		"9000 RAMBOX-SELFTEST-END",
	))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{
		Firmware: 100 * time.Millisecond, FirmwareDHCP: 300 * time.Millisecond, LoaderFetch: 100 * time.Millisecond,
		Transfer: 400 * time.Millisecond, Decompress: 130 * time.Millisecond, KernelInit: 170 * time.Millisecond,
		IPConfig: 100 * time.Millisecond, Init: 200 * time.Millisecond, Selftest: 7500 * time.Millisecond, Pings: 0,
	}
	for _, p := range b.Phases {
		if p.Duration != want[p.Name] {
			t.Errorf("phase %s = %v, want %v", p.Name, p.Duration, want[p.Name])
		}
	}
	if b.Total() != 9*time.Second {
		t.Errorf("Total() = %v, want 9s", b.Total())
	}
	if len(b.Notes) != 1 || !strings.Contains(b.Notes[0], `ping="fail"`) {
		t.Errorf("notes = %q, want one on the failed ping", b.Notes)
	}
}

func TestSlowest(t *testing.T) {
	b := &Breakdown{Initcalls: []Initcall{{"a", 3}, {"b", 9}, {"c", 3}, {"d", 7}}}
	for _, tc := range []struct {
		n    int
		want string
	}{{0, ""}, {2, "b,d"}, {3, "b,d,a"}, {9, "b,d,a,c"}, {-1, ""}} {
		var names []string
		for _, c := range b.Slowest(tc.n) {
			names = append(names, c.Name)
		}
		if got := strings.Join(names, ","); got != tc.want {
			t.Errorf("Slowest(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// An /init that times its pings (ping_ms) gives the pings phase as
// timed, whether or not every reply came back; without ping_ms a full
// ping is taken as two 1 s intervals (the fixtures' /init).
func TestAnalyzePingMS(t *testing.T) {
	boot := func(tail ...string) []Line {
		return lines(append([]string{
			"100 Configuring (net0 52:54:00:12:34:56)...... ok",
			"400 Filename: http://10.0.0.1/boot.ipxe",
			"450 http://10.0.0.1/boot.ipxe... ok",
			"460 boot.ipxe : 498 bytes [script]",
			"500 http://10.0.0.1/bzImage... ok",
			"900 http://10.0.0.1/initramfs.cpio.gz... ok",
			"1000 [    0.000000] Linux version 6.1",
			"1300 [    0.400000] Run /init as init process",
			"1500 rambox: /init ready on 6.1 at 600 ms of kernel uptime",
			"1600 RAMBOX-SELFTEST-BEGIN",
		}, tail...)...)
	}
	for _, tc := range []struct {
		name string
		log  []Line
		want time.Duration
	}{
		{"timed", boot("1600 ping=ok", "1600 ping_received=3", "1600 ping_ms=40", "4000 RAMBOX-SELFTEST-END"), 40 * time.Millisecond},
		{"timed, lost replies", boot("1600 ping=fail", "1600 ping_received=0", "1600 ping_ms=4020", "9000 RAMBOX-SELFTEST-END"), 4020 * time.Millisecond},
		{"timed beyond the block", boot("1600 ping=ok", "1600 ping_received=3", "1600 ping_ms=9000", "4000 RAMBOX-SELFTEST-END"), 2500 * time.Millisecond},
		{"skipped", boot("1600 ping=skipped", "1600 ping_received=0", "1600 ping_ms=0", "4000 RAMBOX-SELFTEST-END"), 0},
		{"untimed", boot("1600 ping=ok", "1600 ping_received=3", "4000 RAMBOX-SELFTEST-END"), 2 * time.Second},
	} {
		b, err := Analyze(tc.log)
		if err != nil {
			t.Fatalf("Analyze(%s): %v", tc.name, err)
		}
		if got := b.Phase(Pings); got != tc.want {
			t.Errorf("Analyze(%s) pings = %v, want %v", tc.name, got, tc.want)
		}
	}
}
