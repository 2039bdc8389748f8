package stages

import (
	"strconv"

	"rambox/initramfs"

	"dagger.io/dagger"
)

// Initramfs packs the rootfs with the freshly built busybox, inside the
// toolchain container, compressed as the profile says, with a static rambox binary: the same code as
// `rambox initramfs` on a laptop, with the toolchain's zoneinfo, and its
// result cached by Dagger like every other step.
func Initramfs(tc *dagger.Container, rambox *dagger.File, rootfs, busybox *dagger.Directory, timezone string, compression initramfs.Compression, r Repro) *dagger.File {
	return r.exec(r.apply(tc).
		WithMountedFile("/work/rambox", rambox).
		WithMountedDirectory("/work/rootfs", rootfs).
		WithMountedDirectory("/work/busybox", busybox),
		[]string{"sh", "-c", `echo "$0" && exec "$@"`, Marker + StepInitramfs,
			"/work/rambox", "initramfs",
			"--rootfs", "/work/rootfs",
			"--busybox", "/work/busybox/busybox",
			"--udhcpc-script", "/work/busybox/simple.script",
			"--zoneinfo", "/usr/share/zoneinfo",
			"--timezone", timezone,
			"--compression", string(compression),
			"--epoch", strconv.FormatInt(r.SourceDateEpoch, 10),
			"-o", "/work/initramfs.cpio.gz"}).
		File("/work/initramfs.cpio.gz")
}
