// Package profile loads a kernel profile: one directory under
// kernel-configs/ holding the kernel's source pin (sources.json), the
// option fragment (fragment.config), the build knobs kernel.sh reads
// (profile.env), the size budgets of its outputs (budgets.json) and
// patches/*.patch.
package profile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"rambox/initramfs"
	"rambox/kconfig"
	"rambox/sources"
)

// Default is the profile `rambox build` uses when none is named.
const Default = "linux-2.6.39"

// Profile is a loaded, validated kernel profile.
type Profile struct {
	Name     string
	Dir      string
	Source   sources.Pin
	Fragment []kconfig.Option
	Patches  []string // file names under patches/, in the order applied
	Budgets  Budgets  // budgets.json: the most bytes of each sized output
	// Compression is the initramfs's (profile.env INITRAMFS_COMPRESSION,
	// default gzip); the fragment holds its kernel decompressor.
	Compression initramfs.Compression
	// Arch is the architecture it builds for (profile.env ARCH, default
	// x86_64).
	Arch Arch
	// UKI says the profile builds bundle.UKI, the unified kernel image.
	// It is true exactly when the fragment sets CONFIG_EFI_STUB=y and the
	// toolchain has a systemd-stub for the architecture (Arch.UKIStub):
	// the stub starts the kernel as an EFI image, so a kernel without it
	// (2.6.39 has none) cannot be in a UKI, and one with it can.
	UKI bool
}

// UKIOption is the kernel option a profile's UKI output follows.
const UKIOption = "EFI_STUB"

// buildsUKI reports whether fragment sets UKIOption=y.
func buildsUKI(fragment []kconfig.Option) bool {
	for _, o := range fragment {
		if o.Symbol == UKIOption {
			return o.Value == "y"
		}
	}
	return false
}

// ErrUnknown is returned for a profile name with no directory.
var ErrUnknown = errors.New("unknown kernel profile")

// Names lists the profiles under root.
func Names(root string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(root, e.Name(), "fragment.config")); err == nil {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// Load reads and validates the profile name under root, reporting every
// problem at once.
func Load(root, name string) (*Profile, error) {
	known, err := Names(root)
	if err != nil {
		return nil, fmt.Errorf("kernel profiles: %w", err)
	}
	dir := filepath.Join(root, name)
	if name == "" || strings.ContainsAny(name, `/\`) || !slices.Contains(known, name) {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, strings.Join(known, ", "))
	}
	p := &Profile{Name: name, Dir: dir}
	var errs []error
	if p.Source, err = sources.LoadPin(filepath.Join(dir, "sources.json")); err != nil {
		errs = append(errs, err)
	}
	fragFile := filepath.Join(dir, "fragment.config")
	if f, err := os.Open(fragFile); err != nil {
		errs = append(errs, err)
	} else {
		p.Fragment, err = kconfig.ParseFragment(f, fragFile)
		f.Close()
		if err != nil {
			errs = append(errs, err)
		} else if len(p.Fragment) == 0 {
			errs = append(errs, fmt.Errorf("%s: no options", fragFile))
		}
	}
	envFile := filepath.Join(dir, "profile.env")
	env, err := checkEnv(envFile)
	if err != nil {
		errs = append(errs, err)
	}
	if p.Compression, err = initramfs.ParseCompression(env[EnvCompression]); err != nil {
		errs = append(errs, fmt.Errorf("%s: %s: %w", envFile, EnvCompression, err))
	} else if p.Fragment != nil {
		if err := checkCompression(name, fragFile, p.Source, p.Fragment, p.Compression); err != nil {
			errs = append(errs, err)
		}
	}
	if p.Arch, err = LookupArch(env[EnvArch]); err != nil {
		errs = append(errs, fmt.Errorf("%s: %s: %w", envFile, EnvArch, err))
	}
	p.UKI = buildsUKI(p.Fragment) && p.Arch.UKIStub
	if p.Budgets, err = loadBudgets(filepath.Join(dir, BudgetsFile), p.Arch, p.UKI); err != nil {
		errs = append(errs, err)
	}
	patches, _ := filepath.Glob(filepath.Join(dir, "patches", "*.patch"))
	for _, pf := range patches {
		p.Patches = append(p.Patches, filepath.Base(pf))
	}
	sort.Strings(p.Patches)
	if len(errs) > 0 {
		return nil, fmt.Errorf("kernel profile %s: %w", name, errors.Join(errs...))
	}
	return p, nil
}

// FinishNone as CONFIG_FINISH runs no finisher after allnoconfig: its
// .config is final already (every symbol written), and a second Kconfig
// run costs a second or more of every fragment change.
const FinishNone = "none"

// EnvCompression is the profile.env variable naming the initramfs
// compression (kernel.sh ignores it).
const EnvCompression = "INITRAMFS_COMPRESSION"

// checkEnv validates profile.env, which kernel.sh sources: only the
// variables it knows, and a config finisher the kernel has. It returns the
// values it read.
func checkEnv(file string) (map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	var errs []error
	finish := ""
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		env[k] = strings.Trim(v, `"'`)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s:%d: %q is not VAR=value", file, i+1, line))
		case k == "CONFIG_FINISH":
			finish = strings.Trim(v, `"'`)
			if finish != "oldnoconfig" && finish != "olddefconfig" && finish != FinishNone {
				errs = append(errs, fmt.Errorf("%s:%d: CONFIG_FINISH=%s, want oldnoconfig (2.6.x), olddefconfig or %s", file, i+1, finish, FinishNone))
			}
		case k == "MAKE_VARS", k == EnvCompression, k == EnvArch:
		default:
			errs = append(errs, fmt.Errorf("%s:%d: unknown variable %s (known: CONFIG_FINISH, MAKE_VARS, %s, %s)", file, i+1, k, EnvCompression, EnvArch))
		}
	}
	if finish == "" && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: CONFIG_FINISH is not set", file))
	}
	return env, errors.Join(errs...)
}
