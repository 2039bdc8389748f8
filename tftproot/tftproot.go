// Package tftproot lays out a verified boot bundle as a TFTP root for
// pxelinux, switching what is served atomically:
//
//	DIR/.lock                  flock(2)ed by every change (Lock)
//	DIR/bundles/<hex>/         one directory per verified bundle: bzImage,
//	                           initramfs.cpio.gz, kernel.config, bundle.json,
//	                           contents.json; never changed in place
//	DIR/generations/<h>-<hex>/ one per install's boot config: pxelinux.0,
//	                           ldlinux.c32, pxelinux.cfg/..., contents.json,
//	                           and symlinks to the bundle's files
//	DIR/current                symlink to the served generation
//	DIR/previous               symlink to the one current replaced (rollback)
//	DIR/pxelinux.0 ...         stable symlinks into current/, what tftpd serves
//
// The served boot config is a function of the bundle and Options on every
// install: a re-install with another inventory makes another generation.
// Directories are written into staging directories, fsynced, and renamed
// into place complete; a directory that is reused is first checked
// against the verified bytes and replaced when it differs. Every step
// that can fail comes before current moves, so a failure, a kill or a
// power loss at any point leaves current serving what it served.
package tftproot

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"rambox/bundle"
)

// DefaultBootloaderDirs are where Debian's pxelinux and syslinux-common
// packages put them.
var DefaultBootloaderDirs = []string{"/usr/lib/PXELINUX", "/usr/lib/syslinux/modules/bios"}

// served are the names tftpd serves from DIR, each a symlink into current.
var served = append([]string{ConfigDir, KernelFile, InitramfsFile}, BootloaderFiles...)

// DefaultKeep is how many bundles Install keeps by default.
const DefaultKeep = 3

// Options say what to lay out besides the bundle's own files.
type Options struct {
	BootloaderDirs []string          // searched in order for pxelinux.0 and ldlinux.c32
	NodeConfigs    map[string]string // pxelinux.cfg/<name> -> contents
	DefaultConfig  string            // pxelinux.cfg/default, if not empty
	// Keep is how many bundles stay in bundles/, the most recently
	// installed first; current's and previous' always stay. 0 means
	// DefaultKeep.
	Keep int
	// LockWait bounds the wait for the root's lock; 0 means DefaultLockWait.
	LockWait time.Duration
}

// Validate reports every problem with o at once, each naming its field.
func (o Options) Validate() error {
	var errs []error
	for name := range o.NodeConfigs {
		if !safeName(name) || name == "default" && o.DefaultConfig != "" {
			errs = append(errs, fmt.Errorf("NodeConfigs: unusable %s/ name %q", ConfigDir, name))
		}
	}
	if o.Keep < 0 {
		errs = append(errs, fmt.Errorf("Keep: %d bundles, want 0 (default %d) or more", o.Keep, DefaultKeep))
	}
	if o.LockWait < 0 {
		errs = append(errs, fmt.Errorf("LockWait: %v, want 0 (default %v) or more", o.LockWait, DefaultLockWait))
	}
	return errors.Join(errs...)
}

// ErrNotSymlink is returned when the root holds a real file or directory
// where tftproot keeps a symlink; Install and Rollback refuse to replace it.
var ErrNotSymlink = errors.New("is not a symlink (tftproot keeps one there; move it away)")

// Install writes f into root and makes it current, with the boot config
// o describes. It returns the bundle's directory. It takes root's lock
// (waiting o.LockWait at most), removes what killed installs left behind,
// and keeps o.Keep bundles. previous moves to the old current just before
// current moves, the last step; should that fail, both name the
// generation still served.
func Install(root string, f *bundle.Fetched, o Options) (string, error) {
	if err := o.Validate(); err != nil {
		return "", err
	}
	b, err := bundleContents(f)
	if err != nil {
		return "", err
	}
	g, err := generationContents(b, o)
	if err != nil {
		return "", err
	}
	hexd := f.Manifest.Digest.Encoded()
	gen := generationName(g, hexd)
	wait := o.LockWait
	if wait == 0 {
		wait = DefaultLockWait
	}
	unlock, err := lockFor(root, wait)
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := prepare(root); err != nil {
		return "", err
	}
	bundleDir := filepath.Join(root, BundlesDir, hexd)
	if err := place(filepath.Join(root, BundlesDir), hexd, b); err != nil {
		return "", err
	}
	if err := place(filepath.Join(root, GenerationsDir), gen, g); err != nil {
		return "", err
	}
	for _, name := range served {
		if err := replaceLink(root, name, filepath.Join(Current, name)); err != nil {
			return "", err
		}
	}
	cur, prev := filepath.Join(GenerationsDir, gen), readLink(root, Previous)
	if old := readLink(root, Current); old != cur && filepath.Dir(old) == GenerationsDir {
		prev = old
		if err := replaceLink(root, Previous, prev); err != nil {
			return "", err
		}
	}
	keep := o.Keep
	if keep == 0 {
		keep = DefaultKeep
	}
	if err := collect(root, keep, cur, prev); err != nil {
		return "", err
	}
	testHook("switch", filepath.Join(root, Current))
	if err := replaceLink(root, Current, cur); err != nil {
		return "", err
	}
	return bundleDir, nil
}

// bundleContents is what bundles/<hex> holds for f.
func bundleContents(f *bundle.Fetched) (*contents, error) {
	if f == nil {
		return nil, errors.New("tftproot: no bundle")
	}
	if err := f.Manifest.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("bundle digest %q: %w", f.Manifest.Digest, err)
	}
	c := &contents{Digest: f.Manifest.Digest.String()}
	for n, b := range f.Files {
		if !safeName(n) || n == bundle.InfoFile || n == ContentsFile {
			return nil, fmt.Errorf("bundle %s: unsafe file name %q", f.Manifest.Digest, n)
		}
		c.addFile(n, b)
	}
	c.addFile(bundle.InfoFile, f.InfoJSON)
	return c, nil
}

// generationContents is what a generation holds for bundle b: the boot
// loaders and configs o names, and symlinks to b's files.
func generationContents(b *contents, o Options) (*contents, error) {
	hexd := digest.Digest(b.Digest).Encoded()
	g := &contents{Digest: b.Digest, Links: map[string]string{BundleLink: path.Join("..", "..", BundlesDir, hexd)}, Dirs: []string{ConfigDir}}
	for _, e := range b.Files {
		g.Links[e.Name] = path.Join("..", "..", BundlesDir, hexd, e.Name)
	}
	for _, bl := range BootloaderFiles {
		src, err := findBootloader(bl, o.BootloaderDirs)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		g.addFile(bl, data)
	}
	cfgs := o.NodeConfigs
	if o.DefaultConfig != "" {
		cfgs = map[string]string{"default": o.DefaultConfig}
		for k, v := range o.NodeConfigs {
			cfgs[k] = v
		}
	}
	for name, body := range cfgs {
		g.addFile(path.Join(ConfigDir, name), []byte(body))
	}
	for _, e := range g.Files {
		if _, ok := g.Links[e.Name]; ok {
			return nil, fmt.Errorf("bundle %s: file %s clashes with the boot config's", b.Digest, e.Name)
		}
	}
	return g, nil
}

func safeName(n string) bool {
	return n != "" && n != "." && n != ".." && !strings.ContainsAny(n, "/\\") && !strings.HasPrefix(n, ".")
}

// generationName names a generation by the hash of its contents (which
// name the bundle's digest) and ends with the bundle's hex.
func generationName(g *contents, hexd string) string {
	sum := sha256.Sum256(g.record())
	return hex.EncodeToString(sum[:8]) + "-" + hexd
}

// prepare makes root's directories, removes what a killed install left
// (staging and trash directories, half-made links; the lock is held, so
// none is in use), and refuses a root where a real file or directory
// stands where a symlink goes.
func prepare(root string) error {
	made := false
	for _, d := range []string{BundlesDir, GenerationsDir} {
		dir := filepath.Join(root, d)
		if err := os.Mkdir(dir, 0o755); err == nil {
			made = true
		} else if !errors.Is(err, fs.ErrExist) {
			return err
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	for _, name := range append([]string{Current, Previous}, served...) {
		if err := os.Remove(filepath.Join(root, tmpLinkName(name))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		p := filepath.Join(root, name)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Type() != fs.ModeSymlink {
			return fmt.Errorf("%s %w", p, ErrNotSymlink)
		}
	}
	if made {
		return syncDir(root)
	}
	return nil
}

// place makes parent/name hold c: kept when it already does (and marked
// recently used, for collect), else written into a staging directory and
// renamed over whatever stood there.
func place(parent, name string, c *contents) error {
	final := filepath.Join(parent, name)
	verr := c.verify(final)
	if verr == nil {
		now := time.Now()
		return os.Chtimes(final, now, now)
	}
	staging, err := os.MkdirTemp(parent, ".staging-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	// MkdirTemp makes it 0700; tftpd reads it as an unprivileged user.
	if err := os.Chmod(staging, 0o755); err != nil {
		return err
	}
	if err := c.write(staging); err != nil {
		return err
	}
	if lexists(final) {
		// rename(2) does not replace a non-empty directory: move the bad
		// one aside (prepare removes it should we die before we do).
		trash := filepath.Join(parent, ".trash-"+filepath.Base(staging))
		if err := os.Rename(final, trash); err != nil {
			return fmt.Errorf("replacing %s (%v): %w", final, verr, err)
		}
		defer os.RemoveAll(trash)
	}
	if err := os.Rename(staging, final); err != nil {
		return err
	}
	return syncDir(parent)
}

func lexists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func readLink(root, name string) string {
	t, _ := os.Readlink(filepath.Join(root, name))
	return t
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

func tmpLinkName(name string) string { return "." + name + ".new" }

// replaceLink points root/name at target by renaming a fresh symlink over
// it, so readers see the old link or the new one, never none, and fsyncs
// root so that the switch survives a power loss. A link already right is
// left alone.
func replaceLink(root, name, target string) error {
	if readLink(root, name) == target {
		return nil
	}
	tmp := filepath.Join(root, tmpLinkName(name))
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(root, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(root)
}
