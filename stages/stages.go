// Package stages holds the build steps of the pipeline, one file per stage.
// A stage takes Dagger objects and a small config, and returns a Dagger
// object; none of them runs anything by itself: the pipeline package
// decides what to evaluate, and when.
package stages

import (
	"embed"
	"strconv"

	"dagger.io/dagger"
)

//go:embed scripts/*.sh
var scripts embed.FS

// Marker begins the line a step prints as it starts, followed by the
// step's name: "rambox-stage: kernel build". A step the engine serves from
// its cache runs nothing and prints nothing, so the line in the engine's
// log is the sign that the step ran. scripts/*.sh print it for their steps.
const Marker = "rambox-stage: "

// The steps' names after Marker.
const (
	StepKernelUnpack    = "kernel unpack"
	StepKernelConfigure = "kernel configure"
	StepKernelBuild     = "kernel build"
	StepBusybox         = "busybox build"
	StepInitramfs       = "initramfs"
)

// script returns an embedded stage script as a Dagger file, so the exact
// commands are part of every step's cache key.
func script(c *dagger.Client, name string) *dagger.File {
	b, err := scripts.ReadFile("scripts/" + name)
	if err != nil {
		panic("stages: no embedded script " + name) // a build-time mistake
	}
	return c.Directory().WithNewFile(name, string(b), dagger.DirectoryWithNewFileOpts{Permissions: 0o755}).File(name)
}

// Repro are the inputs that make builds reproducible: the one timestamp
// every output carries, and the names stamped into kernels.
type Repro struct {
	SourceDateEpoch int64
	BuildUser       string
	BuildHost       string
	// ContainerHost and ContainerUser, when set, are what uname -n and
	// whoami say inside every build step, instead of the engine's fixed
	// "dagger" and "root". The repro gate gives its two builds different
	// ones to prove that no output depends on them. A host name needs a
	// UTS namespace of its own, so those steps ask the engine for root
	// capabilities; builds without it ask for nothing.
	ContainerHost string
	ContainerUser string
}

// apply sets the reproducibility environment on a container.
func (r Repro) apply(ctr *dagger.Container) *dagger.Container {
	ctr = ctr.
		WithEnvVariable("SOURCE_DATE_EPOCH", strconv.FormatInt(r.SourceDateEpoch, 10)).
		WithEnvVariable("KBUILD_BUILD_USER", r.BuildUser).
		WithEnvVariable("KBUILD_BUILD_HOST", r.BuildHost).
		WithEnvVariable("LC_ALL", "C").
		WithEnvVariable("TZ", "UTC")
	if r.ContainerUser != "" {
		// uid 0 keeps its rights under another name.
		ctr = ctr.WithExec([]string{"sed", "-i", "s/^root:/" + r.ContainerUser + ":/", "/etc/passwd"}).
			WithEnvVariable("USER", r.ContainerUser).
			WithEnvVariable("LOGNAME", r.ContainerUser)
	}
	return ctr
}

// exec runs args as a build step, under ContainerHost when it is set.
func (r Repro) exec(ctr *dagger.Container, args []string) *dagger.Container {
	if r.ContainerHost == "" {
		return ctr.WithExec(args)
	}
	wrapped := append([]string{"unshare", "--uts", "sh", "-c", `hostname "$0" && exec "$@"`, r.ContainerHost}, args...)
	return ctr.WithEnvVariable("HOSTNAME", r.ContainerHost).
		WithExec(wrapped, dagger.ContainerWithExecOpts{InsecureRootCapabilities: true})
}
