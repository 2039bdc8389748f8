package tftproot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"rambox/bundle"
)

// ErrCorrupt is returned when a bundle or generation directory on disk
// differs from what was verified and written into it.
var ErrCorrupt = errors.New("does not match its verified contents")

// contents is what a bundle or generation directory holds, and
// ContentsFile's format.
type contents struct {
	// Digest is the bundle's manifest digest.
	Digest string             `json:"digest"`
	Files  []bundle.FileEntry `json:"files"`           // sorted by name; names are slash-separated, relative
	Links  map[string]string  `json:"links,omitempty"` // name -> symlink target
	Dirs   []string           `json:"dirs,omitempty"`  // made even when empty
	data   map[string][]byte  // the files' bytes, when written from memory
}

func (c *contents) addFile(name string, b []byte) {
	sum := sha256.Sum256(b)
	c.Files = append(c.Files, bundle.FileEntry{Name: name, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])})
	if c.data == nil {
		c.data = map[string][]byte{}
	}
	c.data[name] = b
}

// record is ContentsFile's bytes: deterministic, since a generation is
// named by their hash.
func (c *contents) record() []byte {
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Name < c.Files[j].Name })
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		panic(err) // strings, ints and a string map always marshal
	}
	return append(b, '\n')
}

// write creates c in dir, an empty directory, and fsyncs every file and
// directory it made, dir included, so that a rename of dir publishes
// complete contents even across a power loss.
func (c *contents) write(dir string) error {
	rec := c.record()
	dirs := []string{dir}
	var written []string
	for _, d := range c.Dirs {
		p := filepath.Join(dir, filepath.FromSlash(d))
		if err := os.Mkdir(p, 0o755); err != nil {
			return err
		}
		dirs = append(dirs, p)
	}
	for i, e := range c.Files {
		p := filepath.Join(dir, filepath.FromSlash(e.Name))
		if sub := filepath.Dir(p); sub != dir && !contains(dirs, sub) {
			if err := os.Mkdir(sub, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, sub)
		}
		if err := writeFile(p, c.data[e.Name]); err != nil {
			return err
		}
		written = append(written, p)
		if i == 0 {
			testHook("populate", p)
		}
	}
	for name, target := range c.Links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(dir, ContentsFile), rec); err != nil {
		return err
	}
	return syncAll(append(append(written, filepath.Join(dir, ContentsFile)), dirs...))
}

// syncAll fsyncs every path at once. Issued together, the filesystem
// commits them in a few shared journal transactions instead of one each
// (a pull writes ~20 files and directories: one by one, the fsyncs were
// most of its time).
func syncAll(paths []string) error {
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = syncPath(p)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readContents reads dir's ContentsFile.
func readContents(dir string) (*contents, error) {
	b, err := os.ReadFile(filepath.Join(dir, ContentsFile))
	if err != nil {
		return nil, err
	}
	var c contents
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", filepath.Join(dir, ContentsFile), ErrCorrupt, err)
	}
	return &c, nil
}

// verify checks that dir is a real directory (not a symlink to one)
// holding exactly c: ContentsFile with c's record, every file with its
// size and sha256, every symlink with its target, and nothing else.
func (c *contents) verify(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: %w: not a directory (%v)", dir, ErrCorrupt, fi.Mode().Type())
	}
	if rec, err := os.ReadFile(filepath.Join(dir, ContentsFile)); err != nil || !bytes.Equal(rec, c.record()) {
		return fmt.Errorf("%s: %w (%v)", filepath.Join(dir, ContentsFile), ErrCorrupt, err)
	}
	want := map[string]bundle.FileEntry{}
	for _, e := range c.Files {
		want[e.Name] = e
	}
	seen := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case name == ContentsFile:
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if wt, ok := c.Links[name]; !ok || target != wt {
				return fmt.Errorf("%s: %w: symlink to %s", p, ErrCorrupt, target)
			}
		case d.Type().IsRegular():
			e, ok := want[name]
			if !ok {
				return fmt.Errorf("%s: %w: unexpected file", p, ErrCorrupt)
			}
			if err := checkFile(p, e); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: %w: unexpected %v", p, ErrCorrupt, d.Type())
		}
		seen++
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range c.Dirs {
		if fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(d))); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s: %w: no directory %s", dir, ErrCorrupt, d)
		}
	}
	if seen != len(c.Files)+len(c.Links) {
		return fmt.Errorf("%s: %w: %d entries, want %d", dir, ErrCorrupt, seen, len(c.Files)+len(c.Links))
	}
	return nil
}

// checkFile compares p's size, then its sha256, with e.
func checkFile(p string, e bundle.FileEntry) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return err
	} else if fi.Size() != e.Size {
		return fmt.Errorf("%s: %w: %d bytes, want %d", p, ErrCorrupt, fi.Size(), e.Size)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != e.SHA256 {
		return fmt.Errorf("%s: %w: sha256 %s, want %s", p, ErrCorrupt, got, e.SHA256)
	}
	return nil
}

// writeFile creates p, which must not exist, with b; the caller fsyncs
// it (syncAll).
func writeFile(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err // *os.PathError, naming p
}

// syncDir fsyncs directory p, making the entries created or renamed in
// it durable.
func syncDir(p string) error { return syncPath(p) }

// syncPath fsyncs the file or directory p.
func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	err = syncFile(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err // *os.PathError, naming p
}

func syncFile(f *os.File) error {
	testHook("fsync", f.Name())
	return f.Sync()
}

// testHook is called at named points ("populate": the first file of a
// staging directory is written; "switch": current is about to move;
// "fsync": a file or directory is about to be synced) with a path. Tests
// replace it to pause, kill or count.
var testHook = func(point, path string) {}
