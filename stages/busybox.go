package stages

import (
	"dagger.io/dagger"

	"rambox/profile"
)

// Busybox builds a static busybox from the pinned source with the
// rootfs's .config. The directory it returns holds busybox, busybox.config
// and simple.script (the udhcpc event script from the same source). A
// cross architecture is built with its cross compiler (busybox.sh).
func Busybox(c *dagger.Client, tc *dagger.Container, source, config *dagger.File, arch profile.Arch, r Repro) *dagger.Directory {
	ctr := r.apply(tc)
	if arch.Cross() {
		ctr = ctr.WithEnvVariable("CROSS_COMPILE", arch.CrossCompile)
	}
	return r.exec(ctr.
		WithMountedFile("/work/busybox.sh", script(c, "busybox.sh")).
		WithMountedFile("/work/busybox.tar", source).
		WithMountedFile("/work/busybox.config", config),
		[]string{"sh", "/work/busybox.sh", "/work/busybox.tar", "/work/busybox.config", "/work/out"}).
		Directory("/work/out")
}
