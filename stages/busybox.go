package stages

import "dagger.io/dagger"

// Busybox builds a static busybox from the pinned source with the
// rootfs's .config. The directory it returns holds busybox, busybox.config
// and simple.script (the udhcpc event script from the same source).
func Busybox(c *dagger.Client, tc *dagger.Container, source, config *dagger.File, r Repro) *dagger.Directory {
	return r.exec(r.apply(tc).
		WithMountedFile("/work/busybox.sh", script(c, "busybox.sh")).
		WithMountedFile("/work/busybox.tar", source).
		WithMountedFile("/work/busybox.config", config),
		[]string{"sh", "/work/busybox.sh", "/work/busybox.tar", "/work/busybox.config", "/work/out"}).
		Directory("/work/out")
}
