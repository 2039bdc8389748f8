// Package initramfs builds a deterministic gzip-compressed newc initramfs
// from a manifest in the kernel's gen_init_cpio list format
// (usr/gen_init_cpio.c), so modes, owners, device nodes and symlinks come
// from text rather than from the checkout or the builder's privileges.
package initramfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"rambox/newc"
)

// Entry is one parsed manifest line.
type Entry struct {
	Line     int    // 1-based line number in the manifest
	Name     string // absolute path inside the archive, cleaned ("/etc/fstab")
	Mode     uint32 // type and permission bits, as st_mode
	UID, GID uint32
	Location string // file: the host path of the body, variables expanded
	Target   string // slink: the link target
	Major    uint32 // nod: device number
	Minor    uint32
}

// LineError is a manifest problem tied to one line and field.
type LineError struct {
	File  string
	Line  int
	Field string // "type", "name", "mode", "uid", ... or "" for the line as a whole
	Err   error
}

func (e *LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: field %s: %v", e.File, e.Line, e.Field, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// ErrUnknownVariable is wrapped by a LineError for a ${NAME} with no value.
var ErrUnknownVariable = errors.New("unknown variable")

// fieldsFor lists each line type's fields after the type keyword, in order,
// as gen_init_cpio documents them.
var fieldsFor = map[string][]string{
	"file":  {"name", "location", "mode", "uid", "gid"},
	"dir":   {"name", "mode", "uid", "gid"},
	"nod":   {"name", "mode", "uid", "gid", "dev_type", "maj", "min"},
	"slink": {"name", "target", "mode", "uid", "gid"},
	"pipe":  {"name", "mode", "uid", "gid"},
	"sock":  {"name", "mode", "uid", "gid"},
}

var typeBits = map[string]uint32{
	"file": newc.TypeReg, "dir": newc.TypeDir, "slink": newc.TypeSymlink,
	"pipe": newc.TypeFIFO, "sock": newc.TypeSocket,
}

var varPattern = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ParseManifest reads a gen_init_cpio list. ${NAME} in a file's location is
// replaced from vars, as gen_init_cpio does from its environment; a name
// with no value is an error. file names the manifest in errors.
func ParseManifest(r io.Reader, file string, vars map[string]string) ([]Entry, error) {
	var (
		entries []Entry
		errs    []error
		seen    = map[string]int{} // name -> index in entries
	)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseLine(strings.Fields(line), n, file, vars)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := seen[e.Name]; dup {
			errs = append(errs, &LineError{file, n, "name", fmt.Errorf("%s is already declared on line %d", e.Name, entries[prev].Line)})
			continue
		}
		seen[e.Name] = len(entries)
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	for _, e := range entries {
		if parent := path.Dir(e.Name); parent != "/" {
			if i, ok := seen[parent]; !ok || entries[i].Mode&newc.TypeMask != newc.TypeDir {
				errs = append(errs, &LineError{file, e.Line, "name", fmt.Errorf("parent directory %s of %s is not declared as a dir", parent, e.Name)})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return entries, nil
}

func parseLine(f []string, n int, file string, vars map[string]string) (Entry, error) {
	lineErr := func(field string, err error) error { return &LineError{file, n, field, err} }
	names, ok := fieldsFor[f[0]]
	if !ok {
		return Entry{}, lineErr("type", fmt.Errorf("unknown entry type %q (want file, dir, nod, slink, pipe or sock)", f[0]))
	}
	args := f[1:]
	if f[0] == "file" && len(args) == len(names)+1 {
		return Entry{}, lineErr("hard links", errors.New("hard links are not supported"))
	}
	if len(args) != len(names) {
		return Entry{}, lineErr("", fmt.Errorf("%s takes %d fields (%s), got %d", f[0], len(names), strings.Join(names, " "), len(args)))
	}
	field := func(name string) string {
		for i, k := range names {
			if k == name {
				return args[i]
			}
		}
		panic("no field " + name)
	}
	e := Entry{Line: n}
	name := field("name")
	if !strings.HasPrefix(name, "/") || path.Clean(name) != name || name == "/" {
		return Entry{}, lineErr("name", fmt.Errorf("%q must be an absolute, clean path other than /", name))
	}
	e.Name = name
	mode, err := strconv.ParseUint(field("mode"), 8, 32)
	if err != nil || mode > 0o7777 {
		return Entry{}, lineErr("mode", fmt.Errorf("%q is not an octal permission mode", field("mode")))
	}
	for _, id := range []struct {
		name string
		dst  *uint32
	}{{"uid", &e.UID}, {"gid", &e.GID}} {
		v, err := strconv.ParseUint(field(id.name), 10, 32)
		if err != nil {
			return Entry{}, lineErr(id.name, fmt.Errorf("%q is not a number", field(id.name)))
		}
		*id.dst = uint32(v)
	}
	e.Mode = typeBits[f[0]] | uint32(mode)
	switch f[0] {
	case "file":
		loc, err := expand(field("location"), vars)
		if err != nil {
			return Entry{}, lineErr("location", err)
		}
		e.Location = loc
	case "slink":
		e.Target = field("target")
	case "nod":
		switch field("dev_type") {
		case "c":
			e.Mode = newc.TypeChar | uint32(mode)
		case "b":
			e.Mode = newc.TypeBlock | uint32(mode)
		default:
			return Entry{}, lineErr("dev_type", fmt.Errorf("%q is neither c nor b", field("dev_type")))
		}
		for _, d := range []struct {
			name string
			dst  *uint32
		}{{"maj", &e.Major}, {"min", &e.Minor}} {
			v, err := strconv.ParseUint(field(d.name), 10, 32)
			if err != nil {
				return Entry{}, lineErr(d.name, fmt.Errorf("%q is not a device number", field(d.name)))
			}
			*d.dst = uint32(v)
		}
	}
	return e, nil
}

func expand(s string, vars map[string]string) (string, error) {
	var missing []string
	out := varPattern.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%w ${%s} in %q", ErrUnknownVariable, strings.Join(missing, "}, ${"), s)
	}
	return out, nil
}

// ParseManifestFile is ParseManifest on a file; relative file locations are
// resolved against the manifest's directory, so the list and its tree move
// together.
func ParseManifestFile(file string, vars map[string]string) ([]Entry, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := ParseManifest(f, file, vars)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(file)
	for i := range entries {
		if loc := entries[i].Location; loc != "" && !filepath.IsAbs(loc) {
			entries[i].Location = filepath.Join(dir, loc)
		}
	}
	return entries, nil
}
