// Package tftproot lays out a verified boot bundle as a TFTP root for
// pxelinux, switching bundles atomically:
//
//	DIR/bundles/<hex>/   one directory per bundle: bzImage, initramfs.cpio.gz,
//	                     kernel.config, bundle.json, pxelinux.0, ldlinux.c32,
//	                     pxelinux.cfg/<HEXIP>... (and default)
//	DIR/current          symlink to bundles/<hex>, replaced by rename(2)
//	DIR/previous         symlink to the bundle current replaced (rollback)
//	DIR/pxelinux.0 ...   stable symlinks into current/, what tftpd serves
//
// A new bundle is written into a staging directory first and renamed into
// bundles/ complete; only then does current move. A failure at any point
// leaves current as it was.
package tftproot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"rambox/bundle"
)

// DefaultBootloaderDirs are where Debian's pxelinux and syslinux-common
// packages put them.
var DefaultBootloaderDirs = []string{"/usr/lib/PXELINUX", "/usr/lib/syslinux/modules/bios"}

// served are the names tftpd serves from DIR, each a symlink into current.
var served = append([]string{ConfigDir, KernelFile, InitramfsFile}, BootloaderFiles...)

// Options say what to lay out besides the bundle's own files.
type Options struct {
	BootloaderDirs []string          // searched in order for pxelinux.0 and ldlinux.c32
	NodeConfigs    map[string]string // pxelinux.cfg/<name> -> contents
	DefaultConfig  string            // pxelinux.cfg/default, if not empty
}

// Install writes f into root and makes it current. It returns the bundle's
// directory.
func Install(root string, f *bundle.Fetched, o Options) (string, error) {
	hex := f.Manifest.Digest.Encoded()
	bundles := filepath.Join(root, BundlesDir)
	if err := os.MkdirAll(bundles, 0o755); err != nil {
		return "", err
	}
	final := filepath.Join(bundles, hex)
	if _, err := os.Stat(final); errors.Is(err, os.ErrNotExist) {
		staging, err := os.MkdirTemp(bundles, ".staging-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(staging)
		// MkdirTemp makes it 0700; tftpd reads it as an unprivileged user.
		if err := os.Chmod(staging, 0o755); err != nil {
			return "", err
		}
		if err := populate(staging, f, o); err != nil {
			return "", err
		}
		if err := os.Rename(staging, final); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	cur, _ := os.Readlink(filepath.Join(root, Current))
	if want := filepath.Join(BundlesDir, hex); cur != want {
		if cur != "" {
			if err := replaceLink(root, Previous, cur); err != nil {
				return "", err
			}
		}
		if err := replaceLink(root, Current, want); err != nil {
			return "", err
		}
	}
	for _, name := range served {
		if err := replaceLink(root, name, filepath.Join(Current, name)); err != nil {
			return "", err
		}
	}
	return final, nil
}

func populate(dir string, f *bundle.Fetched, o Options) error {
	names := make([]string, 0, len(f.Files))
	for n := range f.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), f.Files[n], 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, bundle.InfoFile), f.InfoJSON, 0o644); err != nil {
		return err
	}
	for _, bl := range BootloaderFiles {
		src, err := findBootloader(bl, o.BootloaderDirs)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, bl), b, 0o644); err != nil {
			return err
		}
	}
	cfgDir := filepath.Join(dir, ConfigDir)
	if err := os.Mkdir(cfgDir, 0o755); err != nil {
		return err
	}
	cfgs := o.NodeConfigs
	if o.DefaultConfig != "" {
		cfgs = map[string]string{"default": o.DefaultConfig}
		for k, v := range o.NodeConfigs {
			cfgs[k] = v
		}
	}
	for name, body := range cfgs {
		if err := os.WriteFile(filepath.Join(cfgDir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func findBootloader(name string, dirs []string) (string, error) {
	if len(dirs) == 0 {
		dirs = DefaultBootloaderDirs
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in %v (install Debian's pxelinux and syslinux-common, or pass --bootloader-dir)", name, dirs)
}

// replaceLink points root/name at target by renaming a fresh symlink over
// it, so readers see the old link or the new one, never none.
func replaceLink(root, name, target string) error {
	tmp := filepath.Join(root, "."+name+".new")
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(root, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// ErrNoPrevious is returned by Rollback when there is nothing to go back to.
var ErrNoPrevious = errors.New("no previous bundle to roll back to")

// Rollback makes the previous bundle current again (and the current one
// previous, so a second rollback undoes the first).
func Rollback(root string) (string, error) {
	prev, err := os.Readlink(filepath.Join(root, Previous))
	if err != nil {
		return "", ErrNoPrevious
	}
	if _, err := os.Stat(filepath.Join(root, prev)); err != nil {
		return "", fmt.Errorf("previous bundle %s: %w", prev, err)
	}
	cur, err := os.Readlink(filepath.Join(root, Current))
	if err != nil {
		return "", fmt.Errorf("no current bundle: %w", err)
	}
	if err := replaceLink(root, Current, prev); err != nil {
		return "", err
	}
	return prev, replaceLink(root, Previous, cur)
}
