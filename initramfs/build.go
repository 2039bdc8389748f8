package initramfs

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"rambox/newc"
)

// record is an entry ready to be written: its header and body.
type record struct {
	hdr  newc.Header
	body []byte
}

// reproducible turns manifest entries into archive records whose bytes
// depend only on the manifest and the file contents: entries sorted so
// parents precede children, inode numbers assigned in that order, every
// mtime set to epoch, link counts computed from the tree, and the device
// of the (nonexistent) source filesystem zero. It is the one place the
// archive is made deterministic.
func reproducible(entries []Entry, epoch int64, bodies map[string][]byte) []record {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int {
		return slices.Compare(strings.Split(a.Name, "/"), strings.Split(b.Name, "/"))
	})
	subdirs := map[string]uint32{}
	for _, e := range sorted {
		if e.Mode&newc.TypeMask == newc.TypeDir {
			subdirs[parentOf(e.Name)]++
		}
	}
	recs := make([]record, 0, len(sorted))
	for i, e := range sorted {
		h := newc.Header{
			Name:  strings.TrimPrefix(e.Name, "/"),
			Ino:   uint32(i + 1),
			Mode:  e.Mode,
			UID:   e.UID,
			GID:   e.GID,
			NLink: 1,
			MTime: epoch,
		}
		var body []byte
		switch e.Mode & newc.TypeMask {
		case newc.TypeDir:
			h.NLink = 2 + subdirs[e.Name]
		case newc.TypeReg:
			body = bodies[e.Name]
		case newc.TypeSymlink:
			body = []byte(e.Target)
		case newc.TypeChar, newc.TypeBlock:
			h.RDevMajor, h.RDevMinor = e.Major, e.Minor
		}
		h.Size = int64(len(body))
		recs = append(recs, record{h, body})
	}
	return recs
}

func parentOf(name string) string {
	i := strings.LastIndex(name, "/")
	if i <= 0 {
		return "/"
	}
	return name[:i]
}

// ReadBodies loads the contents of every file entry. A missing or
// unreadable source is reported with the manifest line that names it.
func ReadBodies(entries []Entry, manifest string) (map[string][]byte, error) {
	bodies := map[string][]byte{}
	for _, e := range entries {
		if e.Mode&newc.TypeMask != newc.TypeReg {
			continue
		}
		fi, err := os.Stat(e.Location)
		if err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file", e.Location)
		}
		var b []byte
		if err == nil {
			b, err = os.ReadFile(e.Location)
		}
		if err != nil {
			return nil, &LineError{manifest, e.Line, "location", fmt.Errorf("source of %s: %w", e.Name, err)}
		}
		bodies[e.Name] = b
	}
	return bodies, nil
}

// WriteCPIO writes the uncompressed newc archive.
func WriteCPIO(w io.Writer, entries []Entry, bodies map[string][]byte, epoch int64) error {
	cw := newc.NewWriter(w)
	for _, r := range reproducible(entries, epoch, bodies) {
		if err := cw.WriteHeader(&r.hdr); err != nil {
			return err
		}
		if _, err := cw.Write(r.body); err != nil {
			return err
		}
	}
	return cw.Close()
}

// WriteGzip writes the archive through pgzip with the pinned parameters
// and a header that carries no file name and a zero mtime.
func WriteGzip(w io.Writer, entries []Entry, bodies map[string][]byte, epoch int64) error {
	return WriteCompressed(w, Gzip, entries, bodies, epoch)
}
