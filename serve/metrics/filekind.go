package metrics

import (
	"path"
	"slices"
	"strings"

	"rambox/bundle"
	"rambox/serve/bootfs"
	"rambox/tftproot"
)

// Kinds FileKind gives beyond a known file's own base name.
const (
	KindScript = "script" // an iPXE script, ipxe/<mac>.ipxe
	KindConfig = "config" // a pxelinux config, pxelinux.cfg/<name>, or a GRUB one, grub/<name>
	KindOther  = "other"  // anything else (a miss, a probe)
)

// FileKind is the label a transfer of name is counted under: the base name
// of a bundle file or boot loader (bzImage, initramfs.cpio.gz, pxelinux.0,
// ipxe.efi...), "script" for iPXE scripts, "config" for pxelinux configs,
// "other" for the rest. Digest-named paths (bundles/<hex>/bzImage) and
// per-node names (01-<mac>, <mac>.ipxe) thus fold into a fixed, small set.
// A kind is its own kind, so a caller that already reduced a name may pass
// it to Transfer, which reduces it again.
func FileKind(name string) string {
	switch name {
	case KindScript, KindConfig, KindOther:
		return name
	}
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	base := path.Base(name)
	switch {
	case strings.HasPrefix(name, bootfs.ScriptDir+"/") || strings.HasSuffix(base, bootfs.ScriptExt):
		return KindScript
	case strings.HasPrefix(name, tftproot.ConfigDir+"/"), strings.HasPrefix(name, tftproot.GrubConfigDir+"/"):
		return KindConfig
	case slices.Contains(bundle.Outputs, base), base == bundle.KernelArm64, base == bundle.InfoFile, base == bundle.SumsFile,
		slices.Contains(bootfs.LoaderFiles, base):
		return base
	}
	return KindOther
}
