package stages

import "dagger.io/dagger"

const (
	kernelSrc     = "/work/linux" // fixed, so no build path differs between machines
	kernelProfile = "/work/profile"
	kernelArchive = "/work/linux.tar"
	kernelScript  = "/work/kernel.sh"
	kernelOut     = "/work/out"
)

// KernelConfigure unpacks the source, applies the profile's patches and
// makes the .config (allnoconfig + fragment, then the profile's finisher).
// The returned container holds the configured tree at /work/linux; its
// .config is what the fragment check reads before anything compiles.
func KernelConfigure(c *dagger.Client, tc *dagger.Container, source *dagger.File, profile *dagger.Directory, r Repro) *dagger.Container {
	return r.apply(tc).
		WithEnvVariable("KSRC", kernelSrc).
		WithMountedFile(kernelScript, script(c, "kernel.sh")).
		WithMountedFile(kernelArchive, source).
		WithMountedDirectory(kernelProfile, profile).
		WithExec([]string{"sh", kernelScript, "configure", kernelArchive, kernelProfile})
}

// KernelConfig is the configured tree's .config.
func KernelConfig(configured *dagger.Container) *dagger.File {
	return configured.File(kernelSrc + "/.config")
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

// KernelBuild compiles bzImage in a configured tree. The directory it
// returns holds bzImage and kernel.config.
func KernelBuild(configured *dagger.Container) *dagger.Directory {
	return configured.
		WithExec([]string{"sh", kernelScript, "build", kernelOut}).
		Directory(kernelOut)
}
