package bootfs

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"sort"
	"time"
)

// modTime is every entry's mod time: fixed, so nothing about the View
// depends on when it was built, and the Unix epoch, which
// http.ServeContent treats as unknown: the ETag (the sha256) is the only
// validator, and a switch to another bundle can never be taken for "not
// modified" by date.
var modTime = time.Unix(0, 0).UTC()

// file is one served file: its bytes, copied at New and never changed.
type file struct {
	name   string
	data   []byte
	sha256 string
}

// viewFS is a View as an fs.FS. It only knows the View's names: no disk, no
// symlinks, no writes.
type viewFS struct{ v *View }

// Open opens the file or directory name, which must be an fs.ValidPath.
func (f viewFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if fl, ok := f.v.files[name]; ok {
		return &openFile{file: fl, Reader: bytes.NewReader(fl.data)}, nil
	}
	if entries, ok := f.v.dirs[name]; ok {
		return &openDir{v: f.v, name: name, entries: entries}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// ReadFile returns a copy of the named file's bytes (fs.ReadFileFS).
func (f viewFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	fl, ok := f.v.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), fl.data...), nil
}

// openFile reads one file; its Reader gives Read, Seek and ReadAt, which
// http.ServeContent's ranges use.
type openFile struct {
	*file
	*bytes.Reader
}

func (o *openFile) Stat() (fs.FileInfo, error) { return info{o.file}, nil }
func (o *openFile) Close() error               { return nil }

// info is a file's or directory's fs.FileInfo and fs.DirEntry.
type info struct{ f *file } // nil f: a directory, named in dirInfo

func (i info) Name() string               { return path.Base(i.f.name) }
func (i info) Size() int64                { return int64(len(i.f.data)) }
func (i info) Mode() fs.FileMode          { return 0o444 }
func (i info) ModTime() time.Time         { return modTime }
func (i info) IsDir() bool                { return false }
func (i info) Sys() any                   { return nil }
func (i info) Type() fs.FileMode          { return 0 }
func (i info) Info() (fs.FileInfo, error) { return i, nil }

// dirInfo is a directory's fs.FileInfo and fs.DirEntry.
type dirInfo struct{ name string }

func (d dirInfo) Name() string               { return path.Base(d.name) }
func (d dirInfo) Size() int64                { return 0 }
func (d dirInfo) Mode() fs.FileMode          { return fs.ModeDir | 0o555 }
func (d dirInfo) ModTime() time.Time         { return modTime }
func (d dirInfo) IsDir() bool                { return true }
func (d dirInfo) Sys() any                   { return nil }
func (d dirInfo) Type() fs.FileMode          { return fs.ModeDir }
func (d dirInfo) Info() (fs.FileInfo, error) { return d, nil }

// openDir is an open directory: fs.WalkDir and fstest.TestFS need them;
// the servers never list one.
type openDir struct {
	v       *View
	name    string
	entries []string // full names, sorted
	read    int
}

func (d *openDir) Stat() (fs.FileInfo, error) { return dirInfo{d.name}, nil }
func (d *openDir) Close() error               { return nil }
func (d *openDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: fs.ErrInvalid}
}

func (d *openDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.read:]
	if n > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if n > 0 && n < len(rest) {
		rest = rest[:n]
	}
	d.read += len(rest)
	out := make([]fs.DirEntry, len(rest))
	for i, name := range rest {
		if f, ok := d.v.files[name]; ok {
			out[i] = info{f}
		} else {
			out[i] = dirInfo{name}
		}
	}
	return out, nil
}

// dirsOf returns every directory of files ("." the root) and the full
// names of its entries, sorted.
func dirsOf(files map[string]*file) map[string][]string {
	set := map[string]map[string]bool{".": {}}
	for name := range files {
		for child := name; child != "."; child = path.Dir(child) {
			parent := path.Dir(child)
			if set[parent] == nil {
				set[parent] = map[string]bool{}
			}
			set[parent][child] = true
		}
	}
	out := map[string][]string{}
	for dir, children := range set {
		out[dir] = sortedKeys(children)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
