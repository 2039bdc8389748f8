package bootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Loaders say where the boot loader files are read from.
type Loaders struct {
	// Dirs are searched in order for each of LoaderFiles; nil means
	// DefaultLoaderDirs.
	Dirs []string
}

// ErrLoaderMissing is returned when no directory holds a boot loader.
var ErrLoaderMissing = errors.New("boot loader not found")

// read returns each of LoaderFiles' bytes, read once: the View serves
// these copies, so a loader replaced on disk later does not go out.
func (l Loaders) read() (map[string][]byte, error) {
	dirs := l.Dirs
	if dirs == nil {
		dirs = DefaultLoaderDirs
	}
	out := map[string][]byte{}
	var errs []error
	for _, name := range LoaderFiles {
		b, err := readFirst(dirs, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[name] = b
	}
	return out, errors.Join(errs...)
}

// readFirst reads name from the first of dirs that has it as a regular file.
func readFirst(dirs []string, name string) ([]byte, error) {
	for _, d := range dirs {
		p := filepath.Join(d, name)
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("boot loader %s: %w", p, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("boot loader %s: not a regular file", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("boot loader %s: %w", p, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("boot loader %s in %q: %w", name, dirs, ErrLoaderMissing)
}
