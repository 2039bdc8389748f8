// Package atomicfile writes a file so that readers see either the old
// contents or the complete new ones, never a half-written file.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write creates path by calling fill on a temporary file in the same
// directory, then syncing and renaming it into place. If fill or any step
// fails, the temporary file is removed and path is left untouched.
func Write(path string, perm os.FileMode, fill func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	return nil
}
