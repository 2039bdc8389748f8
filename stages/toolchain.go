package stages

import "dagger.io/dagger"

// Toolchain is where the build tools come from: a local root filesystem
// (air-gapped machines, and engines that cannot pull) or an image pinned
// by digest.
type Toolchain struct {
	RootfsDir string // a Debian bookworm rootfs made by `just toolchain`
	Image     string // e.g. REPO@sha256:...; used when RootfsDir is empty
	// CacheBust, when set, is an input of every step, so a build with a
	// new value runs everything again (clean timings, the repro gate).
	CacheBust string
}

// ToolchainContainer returns the container every build step starts from.
func ToolchainContainer(c *dagger.Client, t Toolchain) *dagger.Container {
	var ctr *dagger.Container
	if t.RootfsDir != "" {
		ctr = c.Container().WithRootfs(c.Host().Directory(t.RootfsDir))
	} else {
		ctr = c.Container().From(t.Image)
	}
	if t.CacheBust != "" {
		ctr = ctr.WithEnvVariable("RAMBOX_CACHE_BUST", t.CacheBust)
	}
	return ctr
}
