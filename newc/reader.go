package newc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrBadMagic is returned by Reader.Next for a header that is not newc.
var ErrBadMagic = errors.New("newc: bad magic")

// Reader reads a newc archive entry by entry, like archive/tar.Reader.
type Reader struct {
	r      *bufio.Reader
	read   int64 // bytes consumed, for padding
	remain int64 // unread body bytes of the current entry
	pad    int64 // padding after the current body
}

// NewReader returns a Reader that reads from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReader(r)} }

// Next skips to the next entry and returns its header. It returns io.EOF
// after the trailer.
func (cr *Reader) Next() (*Header, error) {
	if err := cr.skip(cr.remain + cr.pad); err != nil {
		return nil, err
	}
	cr.remain, cr.pad = 0, 0
	raw := make([]byte, headerLen)
	if err := cr.full(raw); err != nil {
		return nil, err
	}
	if string(raw[:6]) != magic {
		return nil, fmt.Errorf("%w at offset %d: %q", ErrBadMagic, cr.read-headerLen, raw[:6])
	}
	var f [13]uint32
	for i := range f {
		v, err := strconv.ParseUint(string(raw[6+8*i:14+8*i]), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("newc: header field %d at offset %d: %w", i, cr.read-headerLen, err)
		}
		f[i] = uint32(v)
	}
	if f[11] == 0 {
		return nil, fmt.Errorf("newc: zero name length at offset %d", cr.read-headerLen)
	}
	name := make([]byte, f[11])
	if err := cr.full(name); err != nil {
		return nil, err
	}
	if err := cr.skip(padLen(cr.read)); err != nil {
		return nil, err
	}
	hdr := &Header{
		Name: string(name[:len(name)-1]), Ino: f[0], Mode: f[1], UID: f[2], GID: f[3],
		NLink: f[4], MTime: int64(f[5]), Size: int64(f[6]), DevMajor: f[7], DevMinor: f[8],
		RDevMajor: f[9], RDevMinor: f[10],
	}
	if hdr.Name == trailerName {
		return nil, io.EOF
	}
	cr.remain = hdr.Size
	cr.pad = padLen(cr.read + hdr.Size)
	return hdr, nil
}

// Read reads the body of the current entry.
func (cr *Reader) Read(p []byte) (int, error) {
	if cr.remain == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > cr.remain {
		p = p[:cr.remain]
	}
	n, err := cr.r.Read(p)
	cr.read += int64(n)
	cr.remain -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (cr *Reader) full(b []byte) error {
	n, err := io.ReadFull(cr.r, b)
	cr.read += int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (cr *Reader) skip(n int64) error {
	m, err := io.CopyN(io.Discard, cr.r, n)
	cr.read += m
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}
