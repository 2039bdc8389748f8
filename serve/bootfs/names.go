package bootfs

import (
	"net"
	"path"

	"rambox/tftproot"
)

// The names a View serves beyond tftproot's (boot loaders, pxelinux.cfg/,
// bundles/<hex>/) and bundle's (the bundle's file names).
const (
	// ScriptDir holds the iPXE scripts: <mac>.ipxe per node, and
	// DefaultScript when unknown clients are allowed.
	ScriptDir = "ipxe"
	// DefaultConfig is pxelinux's config for a client with no config of
	// its own, in tftproot.ConfigDir.
	DefaultConfig = "default"
	// ScriptExt ends every script's name.
	ScriptExt = ".ipxe"
	// UKIDir holds <mac>.efi, the UKI of each node that boots one
	// (boot: uki), for the boot file DHCP names: DHCP answers from the
	// inventory and knows no digests, and a UKI is one file, so a client
	// cannot mix two bundles through it.
	UKIDir = "uki"
	// UKIExt ends every UKI's name.
	UKIExt = ".efi"
)

// LoaderFiles are the boot loaders a View serves at its root.
var LoaderFiles = append(append([]string(nil), tftproot.BootloaderFiles...), tftproot.UndionlyFile, tftproot.IPXEEFIFile, tftproot.SnponlyFile, tftproot.SyslinuxEFIFile, tftproot.LdlinuxE64File, tftproot.GrubNetArm64File)

// DefaultLoaderDirs are where Debian's pxelinux, syslinux-common, ipxe,
// syslinux-efi and grub-efi-arm64-bin packages put the loaders
// (syslinux-efi: syslinux.efi under SYSLINUX.EFI/, ldlinux.e64 with the
// other efi64 modules; grub-efi-arm64-bin is an arm64 package, which
// ci/deps.sh unpacks to the same path on an amd64 host).
var DefaultLoaderDirs = append(append([]string(nil), tftproot.DefaultBootloaderDirs...), "/usr/lib/ipxe", "/usr/lib/SYSLINUX.EFI/efi64", "/usr/lib/syslinux/modules/efi64", "/usr/lib/grub/arm64-efi/monolithic")

// GrubDispatch is the grub.cfg every arm64 client's GRUB reads first
// (Debian's 2.06 looks for no per-client name): it loads the client's
// own GrubName by the MAC GRUB booted from.
var GrubDispatch = path.Join(tftproot.GrubConfigDir, "grub.cfg")

// GrubDefault is the GRUB config for arm64 clients not in the
// inventory, when they are allowed (grub/default.cfg: no MAC's name).
var GrubDefault = path.Join(tftproot.GrubConfigDir, DefaultConfig+".cfg")

// GrubName is the GRUB config of the node with MAC mac: grub/<mac>.cfg,
// the MAC lower-case and colon-separated, as GRUB's $net_default_mac.
func GrubName(mac net.HardwareAddr) string {
	return path.Join(tftproot.GrubConfigDir, mac.String()+".cfg")
}

// ScriptName is the name of the iPXE script of the node with MAC mac:
// ipxe/<mac>.ipxe, the MAC lower-case and colon-separated.
func ScriptName(mac net.HardwareAddr) string {
	return path.Join(ScriptDir, mac.String()+ScriptExt)
}

// UKIName is the name of the UKI of the node with MAC mac:
// uki/<mac>.efi, the MAC lower-case and colon-separated.
func UKIName(mac net.HardwareAddr) string {
	return path.Join(UKIDir, mac.String()+UKIExt)
}

// DefaultScript is the iPXE script for clients not in the inventory.
var DefaultScript = path.Join(ScriptDir, DefaultConfig+ScriptExt)

// BundlePath is the name of a bundle's file in the View serving it:
// bundles/<hex>/<file>. Every config and script names these, so a client
// that got its config from one View can only load that View's bundle.
func BundlePath(hex, file string) string {
	return path.Join(tftproot.BundlesDir, hex, file)
}
