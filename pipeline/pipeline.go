// Package pipeline wires the stages into one Dagger run: pinned sources ->
// verified kernel config -> bzImage, static busybox -> initramfs, exported
// with the SBOM, bundle.json and SHA256SUMS. Read run top to bottom.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"dagger.io/dagger"

	"rambox/bundle"
	"rambox/kconfig"
	"rambox/profile"
	"rambox/progress"
	"rambox/sbom"
	"rambox/stages"
)

// Config is everything one build depends on.
type Config struct {
	Profile       *profile.Profile
	KernelSource  string // verified archive in the source cache
	BusyboxSource string
	Sources       []bundle.Source // the pins in force, for bundle.json
	RootfsDir     string          // rootfs/ with initramfs.list and busybox/busybox.config
	Toolchain     stages.Toolchain
	ToolchainTar  string // sha256 of the toolchain tarball, when known
	RamboxBinary  string // static rambox for the initramfs stage
	Repro         stages.Repro
	Timezone      string
	KernelCmdline string
	// SecureBoot, when set, signs the UKI (profiles that build one) for
	// UEFI Secure Boot; without it the bundle's UKI is unsigned.
	SecureBoot *SecureBoot
	OutDir     string
	Log        io.Writer // the engine's log, as it comes (--verbose)
	// LogFile, when set, gets the engine's whole log too. It is created
	// once an engine is found, and a failed build's error names it.
	LogFile string
	// Progress, when set, is told as each stage starts and ends. The
	// stages run one after another, so each one's time is its own.
	Progress func(progress.Event)
}

// SecureBoot is the signer of the UKI: the db key a machine's firmware
// trusts. The key reaches the engine only as a Dagger secret.
type SecureBoot struct {
	Key  []byte // PEM private key (unencrypted: sbsign cannot prompt)
	Cert []byte // PEM X.509 certificate of Key
}

// stager runs the stages and reports them to Config.Progress.
type stager struct {
	report func(progress.Event)
	ran    *progress.Ran // which steps ran, from the engine's log
}

// run runs one stage to completion. step is the name its script prints
// when the step runs (see stages.Marker), telling a cache miss from a
// hit; a stage without one ("") is reported Done.
func (s stager) run(ctx context.Context, stage, step string, sync func(context.Context) error) error {
	err := progress.Stage(s.report, stage, func() (progress.Status, error) {
		if err := sync(ctx); err != nil {
			return progress.Failed, err
		}
		switch {
		case step == "":
			return progress.Done, nil
		case s.ran.Seen(step):
			return progress.Built, nil
		}
		return progress.Cached, nil
	})
	if err != nil {
		return stepError(stage, err)
	}
	return nil
}

// Run builds the bundle into cfg.OutDir and returns its bundle.json.
func Run(ctx context.Context, cfg Config) (*bundle.Info, error) {
	if err := findEngine(); err != nil {
		return nil, err
	}
	st := stager{report: cfg.Progress, ran: progress.NewRan(stages.Marker)}
	if st.report == nil {
		st.report = func(progress.Event) {}
	}
	logs := []io.Writer{st.ran}
	if cfg.Log != nil {
		logs = append(logs, cfg.Log)
	}
	if cfg.LogFile != "" {
		f, err := createLog(cfg.LogFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		logs = append(logs, f)
	}
	info, err := run(ctx, cfg, st, io.MultiWriter(logs...))
	if err != nil && cfg.LogFile != "" {
		return nil, fmt.Errorf("%w\nthe engine's whole log: %s", err, cfg.LogFile)
	}
	return info, err
}

func createLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("engine log: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("engine log: %w", err)
	}
	return f, nil
}

// run is the build itself, top to bottom, one stage at a time.
func run(ctx context.Context, cfg Config, st stager, log io.Writer) (*bundle.Info, error) {
	c, err := dagger.Connect(ctx, dagger.WithLogOutput(log))
	if err != nil {
		return nil, fmt.Errorf("connecting to the Dagger engine: %w", err)
	}
	defer c.Close()

	host := c.Host()
	tc := stages.ToolchainContainer(c, cfg.Toolchain)
	profileDir := host.Directory(cfg.Profile.Dir, dagger.HostDirectoryOpts{Include: []string{"fragment.config", "profile.env"}})
	patchesDir := filepath.Join(cfg.Profile.Dir, "patches")
	patches := c.Directory()
	if len(cfg.Profile.Patches) > 0 {
		patches = host.Directory(patchesDir, dagger.HostDirectoryOpts{Include: []string{"*.patch"}})
	}
	var toolchain bundle.Toolchain
	if err := st.run(ctx, "toolchain", "", func(ctx context.Context) error {
		if toolchain, err = toolchainInfo(ctx, c, cfg); err != nil {
			return err
		}
		_, err := tc.Sync(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	rootfs := host.Directory(cfg.RootfsDir, dagger.HostDirectoryOpts{Include: []string{"initramfs.list", "tree/"}})

	unpacked := stages.KernelUnpack(c, tc, host.File(cfg.KernelSource), patches, cfg.Profile.Arch, cfg.Repro)
	if err := st.run(ctx, "kernel unpack", stages.StepKernelUnpack, func(ctx context.Context) error { _, err := unpacked.Sync(ctx); return err }); err != nil {
		return nil, err
	}
	configured := stages.KernelConfigure(unpacked, profileDir, cfg.Repro)
	if err := st.run(ctx, "kernel configure", stages.StepKernelConfigure, func(ctx context.Context) error {
		return checkKernelConfig(ctx, cfg.Profile, configured)
	}); err != nil {
		return nil, err
	}
	// One object tree per profile, kernel source, patch set, toolchain and
	// cache-bust value: objects are reused only where they would be
	// rebuilt the same, and a cache-busted build starts clean. The patch
	// set is in the name because make decides by mtimes: a tree built
	// with a patch would otherwise keep its patched objects for a source
	// without it, whose files are older.
	patchSet, err := patches.Digest(ctx)
	if err != nil {
		return nil, fmt.Errorf("kernel patches %s: %w", patchesDir, err)
	}
	objects := c.CacheVolume(fmt.Sprintf("rambox-kobj-%s-%.12s-%.19s-%.19s-%s", cfg.Profile.Name,
		filepath.Base(cfg.KernelSource), patchSet, toolchain.Digest, cfg.Toolchain.CacheBust))
	kernel := stages.KernelBuild(configured, objects, cfg.Repro)
	if err := st.run(ctx, "kernel build", stages.StepKernelBuild, func(ctx context.Context) error { _, err := kernel.Sync(ctx); return err }); err != nil {
		return nil, err
	}
	busybox := stages.Busybox(c, tc, host.File(cfg.BusyboxSource), host.File(filepath.Join(cfg.RootfsDir, "busybox", "busybox.config")), cfg.Profile.Arch, cfg.Repro)
	if err := st.run(ctx, "busybox", stages.StepBusybox, func(ctx context.Context) error { _, err := busybox.Sync(ctx); return err }); err != nil {
		return nil, err
	}
	initramfs := stages.Initramfs(tc, host.File(cfg.RamboxBinary), rootfs, busybox, cfg.Timezone, cfg.Profile.Compression, cfg.Repro)
	if err := st.run(ctx, "initramfs", stages.StepInitramfs, func(ctx context.Context) error { _, err := initramfs.Sync(ctx); return err }); err != nil {
		return nil, err
	}

	kernelName := cfg.Profile.Arch.Kernel()
	kernelImage := kernel.File(kernelName)
	sized := map[string]*dagger.File{
		kernelName:       kernelImage,
		bundle.Initramfs: initramfs,
		profile.Busybox:  busybox.File("busybox"),
	}
	outputs := c.Directory().
		WithFile(kernelName, kernelImage).
		WithFile(bundle.KernelConfig, kernel.File("kernel.config")).
		WithFile(bundle.BusyboxConfig, busybox.File("busybox.config")).
		WithFile(bundle.Initramfs, initramfs)
	// bundle.json names the architecture of a kernel that is not x86's
	// (bundle.ArchX86_64 is the default every older bundle has).
	arch := cfg.Profile.Arch.Name
	if arch == bundle.ArchX86_64 {
		arch = ""
	}
	names := bundle.OutputsOf(arch)
	var ukiInfo *bundle.UKIInfo
	if cfg.Profile.UKI {
		var uki *dagger.File
		if err := st.run(ctx, "uki", stages.StepUKI, func(ctx context.Context) error {
			uki, ukiInfo, err = buildUKI(ctx, c, tc, kernelImage, initramfs, cfg)
			return err
		}); err != nil {
			return nil, err
		}
		if cfg.SecureBoot != nil {
			if err := st.run(ctx, "uki sign", stages.StepUKISign, func(ctx context.Context) error {
				uki, err = signUKI(ctx, c, tc, uki, ukiInfo, cfg)
				return err
			}); err != nil {
				return nil, err
			}
		}
		sized[bundle.UKI] = uki
		outputs = outputs.WithFile(bundle.UKI, uki)
		names = append(names, bundle.UKI)
	}
	// Sizes are deterministic bytes: an output over its profile's budget
	// fails the build before anything is exported.
	if err := st.run(ctx, "budgets", "", func(ctx context.Context) error {
		return checkBudgets(ctx, cfg.Profile, sized)
	}); err != nil {
		return nil, err
	}

	info := &bundle.Info{
		SchemaVersion:   1,
		Profile:         cfg.Profile.Name,
		Arch:            arch,
		KernelCmdline:   cfg.KernelCmdline,
		SourceDateEpoch: cfg.Repro.SourceDateEpoch,
		Sources:         cfg.Sources,
		Toolchain:       toolchain,
		Patches:         cfg.Profile.Patches,
		UKI:             ukiInfo,
	}
	if err := st.run(ctx, "export", "", func(ctx context.Context) error {
		return export(ctx, outputs, names, info, patchesDir, cfg.OutDir)
	}); err != nil {
		return nil, err
	}
	return info, nil
}

// checkKernelConfig fails the build before anything compiles when an
// option of the fragment did not survive into .config, naming each one
// and, where the Kconfig files show it, the dependency that is off.
func checkKernelConfig(ctx context.Context, p *profile.Profile, configured *dagger.Container) error {
	text, err := stages.KernelConfig(configured).Contents(ctx)
	if err != nil {
		return err
	}
	cfg, err := kconfig.ParseConfig(strings.NewReader(text))
	if err != nil {
		return err
	}
	dropped := kconfig.Check(p.Fragment, cfg)
	if len(dropped) == 0 {
		return nil
	}
	errs := []error{fmt.Errorf("kernel profile %s: %d option(s) of %s did not hold in the final .config:",
		p.Name, len(dropped), filepath.Join(p.Dir, "fragment.config"))}
	for i := range dropped {
		if kc, err := stages.KernelKconfig(configured, dropped[i].Symbol).Contents(ctx); err == nil {
			kconfig.Explain(&dropped[i], kc, cfg)
		}
		errs = append(errs, dropped[i])
	}
	return errors.Join(errs...)
}

// checkBudgets measures the sized outputs and checks them against the
// profile's budgets (profile.CheckSizes).
func checkBudgets(ctx context.Context, p *profile.Profile, files map[string]*dagger.File) error {
	sizes := map[string]int64{}
	for name, f := range files {
		n, err := f.Size(ctx)
		if err != nil {
			return fmt.Errorf("size of %s: %w", name, err)
		}
		sizes[name] = int64(n)
	}
	return p.CheckSizes(sizes)
}

func toolchainInfo(ctx context.Context, c *dagger.Client, cfg Config) (bundle.Toolchain, error) {
	if cfg.Toolchain.RootfsDir == "" {
		return bundle.Toolchain{Kind: "image", Ref: cfg.Toolchain.Image, Digest: imageDigest(cfg.Toolchain.Image)}, nil
	}
	d, err := c.Host().Directory(cfg.Toolchain.RootfsDir).Digest(ctx)
	if err != nil {
		return bundle.Toolchain{}, fmt.Errorf("toolchain rootfs %s: %w", cfg.Toolchain.RootfsDir, err)
	}
	return bundle.Toolchain{Kind: "rootfs", Digest: d, Tar: cfg.ToolchainTar}, nil
}

func imageDigest(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[i+1:]
	}
	return ""
}

// export writes the outputs, the SBOM, bundle.json and SHA256SUMS into
// out. The files are first exported into a staging directory beside out
// and only renamed into place once every one is complete, SHA256SUMS last,
// so a failed build never leaves a half-written bundle.
func export(ctx context.Context, outputs *dagger.Directory, names []string, info *bundle.Info, patchesDir, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(out, ".staging-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	if _, err := outputs.Export(ctx, staging); err != nil {
		return err
	}
	doc, err := sbom.Generate(sbom.Input{Info: info, Outputs: os.DirFS(staging), Patches: os.DirFS(patchesDir)})
	if err != nil {
		return err
	}
	b, err := doc.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(staging, sbom.File), b, 0o644); err != nil {
		return err
	}
	files := append(slices.Clone(names), sbom.File)
	if err := info.Describe(staging, files); err != nil {
		return err
	}
	if err := info.WriteFiles(staging); err != nil {
		return err
	}
	for _, name := range append(files, bundle.InfoFile, bundle.SumsFile) {
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(out, name)); err != nil {
			return err
		}
	}
	return nil
}

// stepError makes a failed container step say which command failed and
// how, with the end of its stderr, instead of the engine's bare exit code.
func stepError(what string, err error) error {
	var ex *dagger.ExecError
	if !errors.As(err, &ex) {
		return fmt.Errorf("%s: %w", what, err)
	}
	lines := strings.Split(strings.TrimRight(ex.Stderr, "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return fmt.Errorf("%s: `%s` exited with %d:\n%s", what, strings.Join(ex.Cmd, " "), ex.ExitCode, strings.Join(lines, "\n"))
}
