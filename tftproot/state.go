package tftproot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
)

// ErrNoPrevious is returned by Rollback when there is nothing to go back to.
var ErrNoPrevious = errors.New("no previous bundle to roll back to")

// ErrNoCurrent is returned by ReadCurrent when nothing is installed.
var ErrNoCurrent = errors.New("no current bundle")

// State is one generation of a root, checked complete.
type State struct {
	Digest    digest.Digest // the bundle's manifest digest
	BundleDir string        // bundles/<hex> under the root: the bundle's verified files
	Dir       string        // the generation: what the served names resolve into
}

// ReadCurrent returns what root serves, after checking that the generation
// and its bundle hold exactly what was verified when they were written
// (this reads and hashes every file). It takes no lock: current is
// replaced by rename(2), so it always names a complete generation.
func ReadCurrent(root string) (State, error) {
	target, err := os.Readlink(filepath.Join(root, Current))
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, fmt.Errorf("TFTP root %s: %w", root, ErrNoCurrent)
	}
	if err != nil {
		return State{}, err
	}
	return generation(root, target)
}

// generation checks the generation a current or previous link names, and
// its bundle, against their ContentsFiles.
func generation(root, target string) (State, error) {
	if filepath.Dir(target) != GenerationsDir {
		return State{}, fmt.Errorf("%s: %w: not in %s/", filepath.Join(root, target), ErrCorrupt, GenerationsDir)
	}
	s := State{Dir: filepath.Join(root, target)}
	g, err := readContents(s.Dir)
	if err != nil {
		return State{}, err
	}
	if err := g.verify(s.Dir); err != nil {
		return State{}, err
	}
	if s.Digest, err = digest.Parse(g.Digest); err != nil {
		return State{}, fmt.Errorf("%s: %w: digest: %w", s.Dir, ErrCorrupt, err)
	}
	s.BundleDir = filepath.Join(root, BundlesDir, s.Digest.Encoded())
	if want := filepath.Join("..", "..", BundlesDir, s.Digest.Encoded()); g.Links[BundleLink] != want {
		return State{}, fmt.Errorf("%s: %w: %s -> %s, want %s", s.Dir, ErrCorrupt, BundleLink, g.Links[BundleLink], want)
	}
	b, err := readContents(s.BundleDir)
	if err != nil {
		return State{}, err
	}
	if b.Digest != g.Digest {
		return State{}, fmt.Errorf("%s: %w: holds %s, want %s", s.BundleDir, ErrCorrupt, b.Digest, g.Digest)
	}
	if err := b.verify(s.BundleDir); err != nil {
		return State{}, err
	}
	return s, nil
}

// Rollback makes the previous generation current again (and the current
// one previous, so a second rollback undoes the first), after checking
// that it is complete. It takes root's lock, waiting DefaultLockWait at
// most, and returns the bundle directory now current.
func Rollback(root string) (string, error) {
	if _, err := os.Lstat(filepath.Join(root, Previous)); errors.Is(err, fs.ErrNotExist) {
		return "", ErrNoPrevious // before Lock, which would create root
	}
	unlock, err := lockFor(root, DefaultLockWait)
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := prepare(root); err != nil {
		return "", err
	}
	prev, err := os.Readlink(filepath.Join(root, Previous))
	if err != nil {
		return "", ErrNoPrevious
	}
	s, err := generation(root, prev)
	if err != nil {
		return "", fmt.Errorf("previous bundle: %w", err)
	}
	cur, err := os.Readlink(filepath.Join(root, Current))
	if err != nil {
		return "", fmt.Errorf("TFTP root %s: %w: %w", root, ErrNoCurrent, err)
	}
	if err := replaceLink(root, Previous, cur); err != nil {
		return "", err
	}
	testHook("switch", filepath.Join(root, Current))
	if err := replaceLink(root, Current, prev); err != nil {
		return "", err
	}
	return s.BundleDir, nil
}
