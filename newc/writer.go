// Package newc reads and writes cpio archives in the "newc" (SVR4, no
// checksum) format, the only format the Linux initramfs unpacker accepts.
//
// It is written here rather than taken from cavaliergopher/cpio v1.0.1,
// which writes every device number as 0:0 (so /dev/console would come out
// as a 0:0 node) and emits a broken magic when Header.Checksum is non-zero.
// The format is small enough that owning ~200 lines is the cheaper fix.
package newc

import (
	"errors"
	"fmt"
	"io"
)

const (
	magic       = "070701"
	headerLen   = 110 // magic + 13 fields of 8 hex digits
	trailerName = "TRAILER!!!"
)

// File type bits of Header.Mode, as in <sys/stat.h>.
const (
	TypeMask    = 0o170000
	TypeSocket  = 0o140000
	TypeSymlink = 0o120000
	TypeReg     = 0o100000
	TypeBlock   = 0o060000
	TypeDir     = 0o040000
	TypeChar    = 0o020000
	TypeFIFO    = 0o010000
)

var (
	// ErrWriteTooLong is returned when more bytes are written than the
	// current header's Size declared.
	ErrWriteTooLong = errors.New("newc: write too long")
	// ErrShortEntry is returned when a new header (or Close) comes before
	// the previous entry's Size bytes were written.
	ErrShortEntry = errors.New("newc: entry shorter than its header's size")
	// ErrClosed is returned by any call after Close.
	ErrClosed = errors.New("newc: writer closed")
)

// Header is one archive entry. Mode holds both the type bits and the
// permission bits, exactly as st_mode; the type decides how the entry is
// unpacked. For a symlink the body is the link target.
type Header struct {
	Name      string // path inside the archive, no leading "/"
	Ino       uint32
	Mode      uint32
	UID, GID  uint32
	NLink     uint32
	MTime     int64 // seconds since the epoch
	Size      int64 // body length in bytes
	DevMajor  uint32
	DevMinor  uint32
	RDevMajor uint32 // device number, for character and block devices
	RDevMinor uint32
}

// Writer writes a newc archive. Call WriteHeader, then Write the body of
// exactly Header.Size bytes, repeat, and Close to write the trailer. The
// first error is sticky: every later call returns it.
type Writer struct {
	w       io.Writer
	written int64 // bytes written to w so far, for padding
	remain  int64 // body bytes still owed for the current entry
	err     error
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteHeader finishes the previous entry and writes hdr.
func (cw *Writer) WriteHeader(hdr *Header) error {
	if err := cw.finishEntry(); err != nil {
		return err
	}
	if hdr.Name == "" {
		return cw.fail(errors.New("newc: header with an empty name"))
	}
	if hdr.Size < 0 || hdr.Size > 0xffffffff {
		return cw.fail(fmt.Errorf("newc: %s: size %d does not fit the format", hdr.Name, hdr.Size))
	}
	if hdr.MTime < 0 || hdr.MTime > 0xffffffff {
		return cw.fail(fmt.Errorf("newc: %s: mtime %d does not fit the format", hdr.Name, hdr.MTime))
	}
	fields := [...]uint32{
		hdr.Ino, hdr.Mode, hdr.UID, hdr.GID, hdr.NLink, uint32(hdr.MTime),
		uint32(hdr.Size), hdr.DevMajor, hdr.DevMinor, hdr.RDevMajor, hdr.RDevMinor,
		uint32(len(hdr.Name) + 1), // name length counts the NUL
		0,                         // check: always 0 in newc (070701)
	}
	buf := make([]byte, 0, headerLen+len(hdr.Name)+4)
	buf = append(buf, magic...)
	for _, f := range fields {
		buf = fmt.Appendf(buf, "%08X", f)
	}
	buf = append(buf, hdr.Name...)
	buf = append(buf, 0)
	if err := cw.emit(buf); err != nil {
		return err
	}
	if err := cw.pad(); err != nil {
		return err
	}
	cw.remain = hdr.Size
	return nil
}

// Write writes body bytes of the current entry.
func (cw *Writer) Write(p []byte) (int, error) {
	if cw.err != nil {
		return 0, cw.err
	}
	if int64(len(p)) > cw.remain {
		return 0, cw.fail(ErrWriteTooLong)
	}
	n, err := cw.w.Write(p)
	cw.written += int64(n)
	cw.remain -= int64(n)
	if err != nil {
		return n, cw.fail(err)
	}
	return n, nil
}

// Close finishes the last entry and writes the trailer. It does not close
// the underlying writer.
func (cw *Writer) Close() error {
	if cw.err == ErrClosed {
		return nil
	}
	if err := cw.WriteHeader(&Header{Name: trailerName, NLink: 1}); err != nil {
		return err
	}
	cw.err = ErrClosed
	return nil
}

// finishEntry checks the body is complete and pads it to 4 bytes.
func (cw *Writer) finishEntry() error {
	if cw.err != nil {
		return cw.err
	}
	if cw.remain != 0 {
		return cw.fail(ErrShortEntry)
	}
	return cw.pad()
}

// pad writes NULs up to the next multiple of 4, the alignment newc uses
// after every name and every body.
func (cw *Writer) pad() error {
	var zeros [3]byte
	return cw.emit(zeros[:padLen(cw.written)])
}

func padLen(n int64) int64 { return (4 - n%4) % 4 }

func (cw *Writer) emit(b []byte) error {
	n, err := cw.w.Write(b)
	cw.written += int64(n)
	if err != nil {
		return cw.fail(err)
	}
	return nil
}

func (cw *Writer) fail(err error) error {
	cw.err = err
	return err
}
