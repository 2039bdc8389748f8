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

// The boot file policy: what a PXE, iPXE or UEFI HTTP Boot client is
// told to load, by its architecture (option 93), whether it is already
// iPXE (option 77) and its node's boot method. This table is the policy;
// BootFile only reads it.

// archClass groups the option-93 architectures that boot the same file.
type archClass int

const (
	archBIOS   archClass = iota + 1 // 0: x86 BIOS
	archUEFI64                      // 7 and 9: x86-64 UEFI (9 is EFI BC, which firmware sends for x86-64 too)
	// archUEFI64HTTP is 16, x86-64 UEFI HTTP Boot (UEFI 2.5+, vendor
	// class "HTTPClient"): the boot file is an http:// URL the firmware
	// downloads and starts itself, with no TFTP and no iPXE.
	archUEFI64HTTP
	// archARM64 is 11, arm64 UEFI (AAVMF, Arm servers).
	archARM64
)

// archClasses maps the architectures served; any other (19, arm64 UEFI
// HTTP Boot, say) gets no boot file.
var archClasses = map[iana.Arch]archClass{
	iana.INTEL_X86PC:     archBIOS,
	iana.EFI_X86_64:      archUEFI64,
	iana.EFI_BC:          archUEFI64,
	iana.EFI_X86_64_HTTP: archUEFI64HTTP,
	iana.EFI_ARM64:       archARM64,
}

// Placeholders in the table for names that depend on the client.
const (
	// scriptURL stands for the node's iPXE script over HTTP.
	scriptURL = "<script>"
	// ukiFile stands for the node's UKI (bootfs.UKIName), over TFTP, or
	// over HTTP in an http row.
	ukiFile = "<uki>"
)

// policy is the boot file for every served combination. pxelinux.0 is a
// BIOS program, so a UEFI node whose boot is pxelinux gets syslinux.efi,
// which reads the same pxelinux.cfg/ and boots through the legacy boot
// protocol: kernels without EFI stub (linux-2.6.39) boot too, which
// ipxe.efi cannot do.
//
// A uki node's UEFI firmware loads the UKI itself, so under Secure Boot
// the firmware checks its signature against db: nothing unsigned runs
// before it (Debian's ipxe.efi and syslinux.efi are unsigned, and a Secure
// Boot firmware refuses them). Once iPXE runs, the node's script chains to
// the UKI on EFI and boots bzImage + initramfs on BIOS, which cannot run a
// UKI; a BIOS uki node is therefore started as an ipxe one.
//
// UEFI HTTP Boot clients get an http:// URL: the UKI for a uki node,
// ipxe.efi otherwise (which then asks again as iPXE and gets the script;
// pxelinux nodes too, as on UEFI PXE once iPXE runs).
var policy = []struct {
	arch archClass
	ipxe bool // the client is already iPXE (user class "iPXE")
	boot pxe.BootMethod
	file string // a served name, or a placeholder
}{
	{archBIOS, false, pxe.BootPxelinux, tftproot.BootFile},
	{archBIOS, false, pxe.BootIPXE, tftproot.UndionlyFile},
	{archBIOS, false, pxe.BootUKI, tftproot.UndionlyFile},
	// QEMU's SeaBIOS NIC ROMs are iPXE already: a pxelinux node is sent
	// on to pxelinux.0 over TFTP (the seed's chain).
	{archBIOS, true, pxe.BootPxelinux, tftproot.BootFile},
	{archBIOS, true, pxe.BootIPXE, scriptURL},
	{archBIOS, true, pxe.BootUKI, scriptURL},
	{archUEFI64, false, pxe.BootPxelinux, tftproot.SyslinuxEFIFile},
	{archUEFI64, false, pxe.BootIPXE, tftproot.IPXEEFIFile},
	{archUEFI64, false, pxe.BootUKI, ukiFile},
	{archUEFI64, true, pxe.BootPxelinux, scriptURL},
	{archUEFI64, true, pxe.BootIPXE, scriptURL},
	{archUEFI64, true, pxe.BootUKI, scriptURL},
	{archUEFI64HTTP, false, pxe.BootPxelinux, tftproot.IPXEEFIFile},
	{archUEFI64HTTP, false, pxe.BootIPXE, tftproot.IPXEEFIFile},
	{archUEFI64HTTP, false, pxe.BootUKI, ukiFile},
	// An arm64 node (inventory arch arm64, whose boot is always grub)
	// gets GRUB's EFI netboot image, which reads its grub.cfg over TFTP.
	{archARM64, false, pxe.BootGRUB, tftproot.GrubNetArm64File},
}

// BootFile is the policy's answer for a client: a file name to fetch over
// TFTP from the server, or (iPXE scripts, and every file of a UEFI HTTP
// Boot client) an absolute URL on server:httpPort. ok is false when the
// architecture has no boot file.
func BootFile(arch iana.Arch, ipxe bool, boot pxe.BootMethod, mac net.HardwareAddr, server netip.Addr, httpPort int) (file string, ok bool) {
	class := archClasses[arch]
	for _, p := range policy {
		if p.arch != class || p.ipxe != ipxe || p.boot != boot {
			continue
		}
		name := p.file
		switch p.file {
		case scriptURL:
			return httpURL(server, httpPort, bootfs.ScriptName(mac)), true
		case ukiFile:
			name = bootfs.UKIName(mac)
		}
		if class == archUEFI64HTTP {
			return httpURL(server, httpPort, name), true
		}
		return name, true
	}
	return "", false
}

// httpURL is the URL of the served name on server:httpPort.
func httpURL(server netip.Addr, httpPort int, name string) string {
	return fmt.Sprintf("http://%s/%s", netip.AddrPortFrom(server, uint16(httpPort)), name)
}
