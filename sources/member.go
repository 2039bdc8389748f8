package sources

import (
	"archive/tar"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
)

// ReadMember returns the contents of the first regular file in a tar
// archive (plain, .gz or .bz2) whose path ends in "/"+suffix, which skips
// the archive's top directory (busybox-1.35.0/examples/... for
// "examples/..."). xz is not read here: the pinned archives that need a
// member (busybox) are bzip2.
func ReadMember(archive, suffix string) ([]byte, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	switch {
	case strings.HasSuffix(archive, ".bz2"), sniff(f, "BZh"):
		r = bzip2.NewReader(f)
	case strings.HasSuffix(archive, ".gz"), sniff(f, "\x1f\x8b"):
		if r, err = gzip.NewReader(f); err != nil {
			return nil, fmt.Errorf("%s: %w", archive, err)
		}
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: no file ending in /%s", archive, suffix)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", archive, err)
		}
		if h.Typeflag == tar.TypeReg && strings.HasSuffix(h.Name, "/"+suffix) {
			return io.ReadAll(tr)
		}
	}
}

// sniff reports whether f starts with magic, and rewinds it.
func sniff(f *os.File, magic string) bool {
	b := make([]byte, len(magic))
	n, _ := io.ReadFull(f, b)
	f.Seek(0, io.SeekStart)
	return n == len(magic) && string(b) == magic
}
