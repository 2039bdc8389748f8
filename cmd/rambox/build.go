package main

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"rambox/bundle"
	"rambox/initramfs"
	"rambox/pipeline"
	"rambox/profile"
	"rambox/progress"
	"rambox/sources"
	"rambox/stages"
)

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// Names a build step may give its container (--container-host/-user):
// plain enough to pass through hostname(1) and a sed expression.
var (
	hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	userName = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
)

func runBuild(args []string) error {
	fs := newFlagSet("build", "[--profile NAME] [--out DIR] [--source NAME=PATH|URL@sha256:HEX]...")
	var (
		profileName = fs.String("profile", profile.Default, "kernel profile `name` under --profiles")
		profiles    = fs.String("profiles", "kernel-configs", "kernel profiles `directory`")
		rootfs      = fs.String("rootfs", "rootfs", "rootfs `directory`")
		out         = fs.String("out", "artifacts", "output `directory`")
		tcRootfs    = fs.String("toolchain-rootfs", "", "toolchain root filesystem `directory` (default: the one `just toolchain` made, if any)")
		tcImage     = fs.String("toolchain-image", "", "toolchain image `ref`, pinned as REPO@sha256:HEX")
		epoch       = fs.Int64("epoch", -1, "SOURCE_DATE_EPOCH for every output (default: $SOURCE_DATE_EPOCH, else the HEAD commit's time)")
		cmdline     = fs.String("cmdline", "", "kernel command line recorded in the bundle (default: the profile architecture's, e.g. \""+profile.ArchX86_64.DefaultCmdline()+"\")")
		timezone    = fs.String("timezone", initramfs.DefaultTimezone, "timezone `name` of the box")
		cacheBust   = fs.String("cache-bust", "", "any new `value` reruns every step (clean builds for timing and the repro gate)")
		ctrHost     = fs.String("container-host", "", "host `name` build steps see (uname -n) instead of the engine's; the repro gate varies it")
		ctrUser     = fs.String("container-user", "", "user `name` build steps see (whoami) instead of root's; the repro gate varies it")
		timings     = fs.String("timings", "", "write each stage's seconds to this JSON `file`")
		logFile     = fs.String("log", "", "write the engine's whole log to this `file` (default: beside --out, OUT.engine.log)")
		verbose     = fs.Bool("verbose", false, "also stream the engine's whole log to stderr")
		sbKey       = fs.String("secureboot-key", "", "sign the UKI for UEFI Secure Boot with this PEM private key `file` (unencrypted; with --secureboot-cert)")
		sbCert      = fs.String("secureboot-cert", "", "PEM certificate `file` of --secureboot-key, the one the machines' db holds")
		overrides   multiFlag
		mirrors     multiFlag
	)
	fs.Var(&overrides, "source", "override a pinned source: NAME=PATH|URL@sha256:HEX (repeatable)")
	fs.Var(&mirrors, "mirror", "mirror base `URL` tried before upstream (repeatable; also $RAMBOX_MIRRORS, space-separated)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	mirrors = append(mirrors, strings.Fields(os.Getenv("RAMBOX_MIRRORS"))...)

	// Everything that can be checked without the engine is checked first,
	// and every problem is reported together.
	var errs []error
	prof, err := profile.Load(*profiles, *profileName)
	if err != nil {
		errs = append(errs, err)
	}
	var ovs []sources.Override
	for _, s := range overrides {
		o, err := sources.ParseOverride(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ovs = append(ovs, o)
	}
	bbPin, bbErr := sources.LoadPin(filepath.Join(*rootfs, "busybox", "sources.json"))
	if bbErr != nil {
		errs = append(errs, bbErr)
	}
	if prof != nil && bbErr == nil {
		if err := sources.CheckOverrides(ovs, prof.Source, bbPin); err != nil {
			errs = append(errs, err)
		}
	}
	tc, tcTar, err := chooseToolchain(*tcRootfs, *tcImage)
	if err != nil {
		errs = append(errs, err)
	}
	tc.CacheBust = *cacheBust
	repro := stages.Repro{BuildUser: "rambox", BuildHost: "rambox", ContainerHost: *ctrHost, ContainerUser: *ctrUser}
	if *ctrHost != "" && !hostName.MatchString(*ctrHost) {
		errs = append(errs, fmt.Errorf("--container-host %q: want a host name: letters, digits and '-', at most 63", *ctrHost))
	}
	if *ctrUser != "" && !userName.MatchString(*ctrUser) {
		errs = append(errs, fmt.Errorf("--container-user %q: want a user name: [a-z_][a-z0-9_-]*, at most 32", *ctrUser))
	}
	if repro.SourceDateEpoch, err = sourceDateEpoch(*epoch); err != nil {
		errs = append(errs, err)
	}
	self, err := staticSelf()
	if err != nil {
		errs = append(errs, err)
	}
	secureBoot, err := secureBootFlags(*sbKey, *sbCert, prof)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var stageTimes stageTimings
	show, stopShow := stageView(os.Stderr, *verbose)
	report := func(e progress.Event) {
		show(e)
		if e.Status.Ended() && e.Status != progress.Failed {
			stageTimes.add(e.Stage, e.Took)
		}
	}
	var kernelPath, bbPath string
	var kernelPin sources.Pin
	err = progress.Stage(report, "fetch", func() (progress.Status, error) {
		cache := sources.DefaultCache()
		client := sources.NewClient(sources.DefaultTimeouts)
		var err error
		if kernelPin, kernelPath, err = cache.Fetch(ctx, prof.Source, ovs, client, mirrors); err != nil {
			return progress.Failed, err
		}
		bbPin, bbPath, err = cache.Fetch(ctx, bbPin, ovs, client, mirrors)
		return progress.Done, err
	})
	if err != nil {
		stopShow()
		return err
	}
	engineLog := io.Discard
	if *verbose {
		engineLog = os.Stderr
	}
	if *logFile == "" {
		*logFile = filepath.Clean(*out) + ".engine.log"
	}
	kernelCmdline := *cmdline
	if kernelCmdline == "" {
		kernelCmdline = prof.Arch.DefaultCmdline()
	}
	info, err := pipeline.Run(ctx, pipeline.Config{
		Profile:       prof,
		KernelSource:  kernelPath,
		BusyboxSource: bbPath,
		Sources:       []bundle.Source{bundle.SourceOf(kernelPin), bundle.SourceOf(bbPin)},
		RootfsDir:     *rootfs,
		Toolchain:     tc,
		ToolchainTar:  tcTar,
		RamboxBinary:  self,
		Repro:         repro,
		Timezone:      *timezone,
		KernelCmdline: kernelCmdline,
		SecureBoot:    secureBoot,
		OutDir:        *out,
		Log:           engineLog,
		LogFile:       *logFile,
		Progress:      report,
	})
	stopShow()
	if err != nil {
		return err
	}
	if *timings != "" {
		if err := stageTimes.write(*timings); err != nil {
			return err
		}
	}
	for _, f := range info.Files {
		fmt.Printf("%s  %s/%s (%d bytes)\n", f.SHA256, *out, f.Name, f.Size)
	}
	return nil
}

// secureBootFlags reads --secureboot-key and --secureboot-cert: both or
// neither, and only for a profile that builds a UKI.
func secureBootFlags(key, cert string, prof *profile.Profile) (*pipeline.SecureBoot, error) {
	switch {
	case key == "" && cert == "":
		return nil, nil
	case key == "":
		return nil, fmt.Errorf("--secureboot-cert %s needs --secureboot-key (the private key that signs the UKI)", cert)
	case cert == "":
		return nil, fmt.Errorf("--secureboot-key %s needs --secureboot-cert (its certificate)", key)
	case prof != nil && !prof.UKI:
		return nil, fmt.Errorf("--secureboot-key: profile %s builds no UKI (its fragment does not set CONFIG_%s=y)", prof.Name, profile.UKIOption)
	}
	sb, err := pipeline.LoadSecureBoot(key, cert)
	if err != nil {
		return nil, fmt.Errorf("--secureboot-key %s, --secureboot-cert %s: %w", key, cert, err)
	}
	return sb, nil
}

// stageView returns how the build's stages are shown on w, and a stop to
// call once they are over: live rows redrawn in place when w is a
// terminal, else one line per finished stage. With --verbose the engine's
// log shares w, and redrawing would garble it, so it gets the plain lines.
func stageView(w *os.File, verbose bool) (show func(progress.Event), stop func()) {
	if verbose || !term.IsTerminal(int(w.Fd())) {
		return progress.Plain{W: w, Prefix: "rambox build: "}.Handle, func() {}
	}
	live := &progress.Live{W: w}
	live.Start(100 * time.Millisecond)
	return live.Handle, live.Stop
}

// chooseToolchain picks the build container's source and, for a local
// rootfs made by ci/toolchain.sh, the sha256 of the tarball it came from.
func chooseToolchain(rootfs, image string) (stages.Toolchain, string, error) {
	if rootfs != "" && image != "" {
		return stages.Toolchain{}, "", errors.New("--toolchain-rootfs and --toolchain-image exclude each other")
	}
	if image != "" {
		if !strings.Contains(image, "@sha256:") {
			return stages.Toolchain{}, "", fmt.Errorf("--toolchain-image %q is not pinned: use REPO@sha256:HEX", image)
		}
		return stages.Toolchain{Image: image}, "", nil
	}
	if rootfs == "" {
		rootfs = filepath.Join(sources.DefaultCache().Dir, "toolchain", "bookworm")
		if _, err := os.Stat(rootfs); err != nil {
			return stages.Toolchain{}, "", fmt.Errorf("no toolchain: run `just toolchain` (a local Debian rootfs, needs no registry), " +
				"or pass --toolchain-rootfs DIR or --toolchain-image REPO@sha256:HEX")
		}
	}
	if fi, err := os.Stat(filepath.Join(rootfs, "usr", "bin", "make")); err != nil || fi.IsDir() {
		return stages.Toolchain{}, "", fmt.Errorf("toolchain rootfs %s has no usr/bin/make: is it a build toolchain? (`just toolchain` makes one)", rootfs)
	}
	// ci/toolchain.sh records the tarball's digest beside the directory.
	var tarSum string
	if b, err := os.ReadFile(filepath.Clean(rootfs) + ".sha256"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			tarSum = f[0]
		}
	}
	return stages.Toolchain{RootfsDir: rootfs}, tarSum, nil
}

func sourceDateEpoch(flagValue int64) (int64, error) {
	if flagValue >= 0 {
		return flagValue, nil
	}
	if n, set, err := initramfs.SourceDateEpoch(); set {
		return n, err
	}
	out, err := exec.Command("git", "log", "-1", "--format=%ct").Output()
	if err != nil {
		return 0, errors.New("no SOURCE_DATE_EPOCH: set it, pass --epoch, or build from a git checkout (its HEAD commit time is used)")
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
}

// staticSelf returns this binary's path for the initramfs stage, which runs
// it inside the toolchain container: it must not need the host's libc.
func staticSelf() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := elf.Open(self)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", self, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("%s is dynamically linked, but the initramfs stage runs it in the toolchain container: build it with CGO_ENABLED=0 (as `just build` does)", self)
		}
	}
	return self, nil
}
