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
	// ConfigDir holds pxelinux's per-client configs (01-<mac>, <HEXIP>, default).
	ConfigDir = "pxelinux.cfg"
	// KernelFile and InitramfsFile are the served kernel and initramfs:
	// the bundle's own file names.
	KernelFile    = bundle.Kernel
	InitramfsFile = bundle.Initramfs

	// BundlesDir holds one directory per verified bundle, named by the
	// hex of its manifest digest.
	BundlesDir = "bundles"
	// Current and Previous are symlinks into BundlesDir: what is served,
	// and what rollback returns to.
	Current  = "current"
	Previous = "previous"
)

// BootloaderFiles are the files pxelinux needs from the boot loader
// packages.
var BootloaderFiles = []string{BootFile, LdlinuxFile}
