package stages

import (
	"dagger.io/dagger"

	"rambox/profile"
)

// Fixed paths, so no build path differs between machines.
const (
	kernelSrc     = "/work/linux" // patched source, never written after unpack
	kernelConf    = "/work/kconf" // configure's object tree: holds .config
	kernelObj     = "/work/kobj"  // build's object tree: a cache volume
	kernelArchive = "/work/linux.tar"
	kernelPatches = "/work/patches"
	kernelProfile = "/work/profile"
	kernelScript  = "/work/kernel.sh"
	kernelOut     = "/work/out"
)

// KernelUnpack unpacks the source and applies the profile's patches. It
// depends on the archive, the patches and the architecture only, so a
// fragment change does not unpack again. The architecture stays in the
// environment of the configure and build steps that follow.
func KernelUnpack(c *dagger.Client, tc *dagger.Container, source *dagger.File, patches *dagger.Directory, arch profile.Arch, r Repro) *dagger.Container {
	return r.exec(r.apply(tc).
		WithEnvVariable("ARCH", arch.Name).
		WithEnvVariable("CROSS_COMPILE", arch.CrossCompile).
		WithEnvVariable("KERNEL_IMAGE", arch.Kernel()).
		WithEnvVariable("KERNEL_IMAGE_PATH", arch.KernelPath).
		WithEnvVariable("KSRC", kernelSrc).
		WithEnvVariable("KCONF", kernelConf).
		WithEnvVariable("KOBJ", kernelObj).
		WithMountedFile(kernelScript, script(c, "kernel.sh")).
		WithMountedFile(kernelArchive, source).
		WithMountedDirectory(kernelPatches, patches),
		[]string{"sh", kernelScript, "unpack", kernelArchive, kernelPatches})
}

// KernelConfigure makes the .config (allnoconfig + fragment, then the
// profile's finisher unless it is none) out of tree. Its .config is what
// the fragment check reads before anything compiles.
func KernelConfigure(unpacked *dagger.Container, profile *dagger.Directory, r Repro) *dagger.Container {
	return r.exec(unpacked.WithMountedDirectory(kernelProfile, profile),
		[]string{"sh", kernelScript, "configure", kernelProfile})
}

// KernelConfig is the configured tree's .config.
func KernelConfig(configured *dagger.Container) *dagger.File {
	return configured.File(kernelConf + "/.config")
}

// KernelKconfig returns the Kconfig files that define symbol, for
// explaining why an option was dropped.
func KernelKconfig(configured *dagger.Container, symbol string) *dagger.File {
	return configured.
		WithWorkdir(kernelSrc).
		WithExec([]string{"sh", "-c",
			`grep -rlE --include='Kconfig*' "^[[:space:]]*(menu)?config[[:space:]]+$1[[:space:]]*$" . | sort | xargs -r cat > /work/kconfig.txt`,
			"sh", symbol}).
		File("/work/kconfig.txt")
}

// KernelBuild compiles the kernel image (profile.Arch.Kernel). objects is the cache volume that keeps the
// object tree between builds of the same source (its name must say which
// source and profile); an empty volume gives a clean build. The directory
// it returns holds the kernel image and kernel.config.
func KernelBuild(configured *dagger.Container, objects *dagger.CacheVolume, r Repro) *dagger.Directory {
	return r.exec(configured.WithMountedCache(kernelObj, objects, dagger.ContainerWithMountedCacheOpts{Sharing: dagger.CacheSharingModeLocked}),
		[]string{"sh", kernelScript, "build", kernelOut}).
		Directory(kernelOut)
}
