package tftproot

import "rambox/bundle"

// The names a TFTP root is made of. This file is their one owner: pxe
// writes configs that name them, boot reads them, pull lays them out.
const (
	// BootFile is what BIOS PXE firmware downloads first (the seed's
	// chain: pxelinux.0, then ldlinux.c32 beside it).
	BootFile = "pxelinux.0"
	// LdlinuxFile is the syslinux core module pxelinux.0 loads.
	LdlinuxFile = "ldlinux.c32"
	// UndionlyFile, IPXEEFIFile and SnponlyFile are iPXE's boot
	// loaders (Debian's ipxe package): for BIOS over the NIC's UNDI
	// driver, for x86-64 UEFI with iPXE's own drivers, and for x86-64
	// UEFI over the firmware's SNP driver.
	UndionlyFile = "undionly.kpxe"
	IPXEEFIFile  = "ipxe.efi"
	SnponlyFile  = "snponly.efi"
	// SyslinuxEFIFile and LdlinuxE64File are syslinux's x86-64 UEFI
	// loader and the core module it loads beside it (Debian's
	// syslinux-efi). It boots kernels through the legacy boot protocol,
	// so UEFI clients can boot a kernel without EFI stub, and it reads
	// ConfigDir as pxelinux.0 does.
	SyslinuxEFIFile = "syslinux.efi"
	LdlinuxE64File  = "ldlinux.e64"
	// GrubNetArm64File is GRUB's arm64 EFI netboot image (Debian's
	// grub-efi-arm64-bin, monolithic: every module built in). Loaded by
	// arm64 UEFI PXE firmware, it reads GrubConfigDir/grub.cfg over TFTP
	// from the server it came from.
	GrubNetArm64File = "grubnetaa64.efi"
	// GrubConfigDir is GRUB's $prefix on the TFTP server: Debian's
	// grubnetaa64.efi looks for (tftp,SERVER)/grub/grub.cfg.
	GrubConfigDir = "grub"
	// ConfigDir holds pxelinux's per-client configs (01-<mac>, <HEXIP>, default).
	ConfigDir = "pxelinux.cfg"
	// KernelFile and InitramfsFile are the served kernel and initramfs:
	// the bundle's own file names.
	KernelFile    = bundle.Kernel
	InitramfsFile = bundle.Initramfs

	// BundlesDir holds one directory per verified bundle, named by the
	// hex of its manifest digest: the bundle's files and bundle.json,
	// never changed once renamed into place.
	BundlesDir = "bundles"
	// GenerationsDir holds one directory per served configuration: a
	// bundle plus the boot config written for it (boot loaders,
	// pxelinux.cfg/), and symlinks to the bundle's files. It is named
	// <hash of its contents>-<bundle hex>, so that a changed inventory
	// or default config makes a new one.
	GenerationsDir = "generations"
	// BundleLink, in a generation, points at its bundle's directory.
	BundleLink = "bundle"
	// ContentsFile, in a bundle or generation directory, records every
	// file (size, sha256) and symlink in it as written from verified
	// bytes: what a reused directory or a rollback target is checked
	// against.
	ContentsFile = "contents.json"
	// Current and Previous are symlinks into GenerationsDir: what is
	// served, and what rollback returns to.
	Current  = "current"
	Previous = "previous"
	// LockFile, in the root, is flock(2)ed by whoever changes the root
	// (see Lock).
	LockFile = ".lock"
)

// BootloaderFiles are the files pxelinux needs from the boot loader
// packages.
var BootloaderFiles = []string{BootFile, LdlinuxFile}
