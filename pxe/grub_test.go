package pxe

import (
	"errors"
	"testing"
)

func TestGrubConfig(t *testing.T) {
	p := Paths{Kernel: "bundles/ab12/Image", Initramfs: "bundles/ab12/initramfs.cpio.gz"}
	// A failed boot restarts the client rather than return to the
	// dispatcher.
	const failed = "echo \"rambox: booting /bundles/ab12/Image failed\"\nsleep 10\nreboot\n"
	tests := []struct {
		name, cmdline, want string
		err                 error
	}{
		{"plain", "rw ip=dhcp console=ttyAMA0", "set timeout=0\nlinux /bundles/ab12/Image 'rw' 'ip=dhcp' 'console=ttyAMA0'\ninitrd /bundles/ab12/initramfs.cpio.gz\nboot\n" + failed, nil},
		{"grub syntax reaches the kernel as written", `x=$y;z foo="a b" #c {d}`, "set timeout=0\nlinux /bundles/ab12/Image 'x=$y;z' 'foo=\"a' 'b\"' '#c' '{d}'\ninitrd /bundles/ab12/initramfs.cpio.gz\nboot\n" + failed, nil},
		{"extra spaces", "  rw   ro ", "set timeout=0\nlinux /bundles/ab12/Image 'rw' 'ro'\ninitrd /bundles/ab12/initramfs.cpio.gz\nboot\n" + failed, nil},
		{"single quote", "a='b'", "", ErrCmdlineQuote},
		{"newline", "rw\nlinux /evil", "", ErrCmdlineControl},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := GrubConfig(p, tc.cmdline)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("GrubConfig(%q) =\n%q, %v\nwant\n%q, %v", tc.cmdline, got, err, tc.want, tc.err)
			}
		})
	}
}
