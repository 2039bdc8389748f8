package selftest

import (
	"errors"
	"strings"
	"testing"
)

// Real serial logs of boots that went wrong (linux-2.6.39 bundle, QEMU
// TCG). Each must keep a boot test from passing.
//
//	init-broken.log          initramfs whose /init has a syntax error, booted
//	                         with -kernel/-initrd: PID 1 exits, kernel panic
//	pxelinux-wrong-name.log  PXE boot whose TFTP root has only
//	                         pxelinux.cfg/DEADBEEF: pxelinux finds no config
//	no-nic-driver.log        the bundle booted with an rtl8139 NIC, which the
//	                         kernel has no driver for: a block without eth0

func TestFailedBootsHaveNoBlock(t *testing.T) {
	tests := []struct {
		file string
		want []string // lines of the cleaned log that show what went wrong
	}{
		{"init-broken.log", []string{
			`/init: line 47: syntax error: unexpected "then"`,
			"Kernel panic - not syncing: Attempted to kill init!",
		}},
		{"pxelinux-wrong-name.log", []string{
			"PXELINUX 6.04",
			"Unable to locate configuration file",
			"Boot failed: press a key to retry, or wait for reset...",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			log := fixture(t, tc.file)
			if _, err := Parse([]byte(log)); !errors.Is(err, ErrNoBlock) {
				t.Errorf("Parse = %v, want %v", err, ErrNoBlock)
			}
			for _, w := range tc.want {
				if !strings.Contains(log, w) {
					t.Errorf("fixture lacks %q", w)
				}
			}
		})
	}
	if log := fixture(t, "pxelinux-wrong-name.log"); strings.Contains(log, "Linux version") {
		t.Error("pxelinux-wrong-name.log shows a kernel starting")
	}
}

// TestNoNICDriver: the block is complete and the box is a fine RAM root,
// but the fields a network boot test checks show no network at all.
func TestNoNICDriver(t *testing.T) {
	r, err := Parse([]byte(fixture(t, "no-nic-driver.log")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := r.CheckRAMRoot("rambox"); err != nil {
		t.Errorf("CheckRAMRoot: %v", err)
	}
	for k, want := range map[string]string{
		"eth0_mac": "", "eth0_ip": "", "ipconfig_proto": "", "ipconfig_server": "",
		"gateway": "", "ping_target": "", "ping": "skipped", "ping_received": "0",
		"cmdline": "console=ttyS0 ip=dhcp rambox.selftest panic=1",
	} {
		if got := r.Fields[k]; got != want {
			t.Errorf("Fields[%q] = %q, want %q", k, got, want)
		}
	}
	// What TestBootSelftest in package boot demands of a network boot.
	for k, want := range map[string]string{"eth0_ip": "10.0.2.15", "ipconfig_proto": "DHCP", "ping": "ok"} {
		if r.Fields[k] == want {
			t.Errorf("Fields[%q] = %q would pass a boot test", k, want)
		}
	}
}
