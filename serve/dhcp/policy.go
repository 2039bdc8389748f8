package dhcp

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/insomniacslk/dhcp/iana"

	"rambox/pxe"
	"rambox/serve/bootfs"
	"rambox/tftproot"
)

// The boot file policy: what a PXE or iPXE client is told to load, by its
// architecture (option 93), whether it is already iPXE (option 77) and its
// node's boot method. This table is the policy; BootFile only reads it.

// archClass groups the option-93 architectures that boot the same file.
type archClass int

const (
	archBIOS   archClass = iota + 1 // 0: x86 BIOS
	archUEFI64                      // 7 and 9: x86-64 UEFI (9 is EFI BC, which firmware sends for x86-64 too)
)

// archClasses maps the architectures served; any other (11, arm64 UEFI,
// has no loader yet) gets no boot file.
var archClasses = map[iana.Arch]archClass{
	iana.INTEL_X86PC: archBIOS,
	iana.EFI_X86_64:  archUEFI64,
	iana.EFI_BC:      archUEFI64,
}

// scriptURL in the table stands for the node's iPXE script over HTTP.
const scriptURL = "<script>"

// policy is the boot file for every served combination. pxelinux.0 is a
// BIOS program, so a UEFI node whose boot is pxelinux gets syslinux.efi,
// which reads the same pxelinux.cfg/ and boots through the legacy boot
// protocol: kernels without EFI stub (linux-2.6.39) boot too, which
// ipxe.efi cannot do.
var policy = []struct {
	arch archClass
	ipxe bool // the client is already iPXE (user class "iPXE")
	boot pxe.BootMethod
	file string // a served name, or scriptURL
}{
	{archBIOS, false, pxe.BootPxelinux, tftproot.BootFile},
	{archBIOS, false, pxe.BootIPXE, tftproot.UndionlyFile},
	// QEMU's SeaBIOS NIC ROMs are iPXE already: a pxelinux node is sent
	// on to pxelinux.0 over TFTP (the seed's chain).
	{archBIOS, true, pxe.BootPxelinux, tftproot.BootFile},
	{archBIOS, true, pxe.BootIPXE, scriptURL},
	{archUEFI64, false, pxe.BootPxelinux, tftproot.SyslinuxEFIFile},
	{archUEFI64, false, pxe.BootIPXE, tftproot.IPXEEFIFile},
	{archUEFI64, true, pxe.BootPxelinux, scriptURL},
	{archUEFI64, true, pxe.BootIPXE, scriptURL},
}

// BootFile is the policy's answer for a client: a file name to fetch over
// TFTP from the server, or the absolute URL of its iPXE script on
// server:httpPort. ok is false when the architecture has no boot file.
func BootFile(arch iana.Arch, ipxe bool, boot pxe.BootMethod, mac net.HardwareAddr, server netip.Addr, httpPort int) (file string, ok bool) {
	class := archClasses[arch]
	for _, p := range policy {
		if p.arch != class || p.ipxe != ipxe || p.boot != boot {
			continue
		}
		if p.file == scriptURL {
			return fmt.Sprintf("http://%s%s", netip.AddrPortFrom(server, uint16(httpPort)), "/"+bootfs.ScriptName(mac)), true
		}
		return p.file, true
	}
	return "", false
}
