package tftp

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"net"
	"time"
)

// Per-packet defaults: a client's timeout option overrides the wait.
const (
	defaultPacketTimeout = time.Second
	retries              = 5
)

// transfer answers one RRQ from its own UDP port on ip.
func (s *Server) transfer(ctx context.Context, ip net.IP, to net.Addr, r request) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	if err != nil {
		return // nothing to answer from
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, s.o.TransferTimeout)
	defer cancel()
	go func() {
		<-ctx.Done()
		conn.SetDeadline(time.Now()) // ends any wait at once
	}()
	fail := func(code uint16, format string, a ...any) {
		conn.WriteTo(errorPacket(code, fmt.Sprintf(format, a...)), to)
	}
	v := s.cur.Load()
	switch {
	case v == nil:
		fail(errUndefined, "no verified bundle to serve yet")
		return
	case r.mode != "octet":
		fail(errIllegal, "%s: only octet mode is served, not %s", r.name, r.mode)
		return
	case !fs.ValidPath(r.name):
		fail(errAccess, "%q: not a clean relative name", r.name)
		return
	}
	f, err := v.FS().Open(r.name)
	if err != nil {
		fail(errNotFound, "%s: not served", r.name)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	// The View's files are ReaderAts over its own bytes: no copy per
	// transfer, however many clients fetch the kernel at once.
	data, ok := f.(io.ReaderAt)
	if err != nil || !fi.Mode().IsRegular() || !ok {
		fail(errNotFound, "%s: not a file", r.name)
		return
	}
	size := int(fi.Size())
	t := &sender{conn: conn, to: to, wait: defaultPacketTimeout, buf: make([]byte, 65536)}
	if r.timeout != 0 {
		t.wait = r.timeout
	}
	blksize := defaultBlksize
	if r.blksize != 0 {
		blksize = r.blksize
	}
	if oack := r.oack(int64(size)); oack != nil {
		if !t.exchange(oack, 0) {
			t.end(ctx, fail, r.name)
			return
		}
	}
	// Block numbers roll over from 65535 to 0, as pxelinux, iPXE, curl
	// and tftp-hpa all accept, so files past 32 MiB at 512 bytes work.
	chunk := make([]byte, blksize)
	for block, off := uint16(1), 0; ; block++ {
		end := min(off+blksize, size)
		// ReadAt says io.EOF for a read that reaches the end, and for the
		// empty last block after a full one; only a short read is wrong.
		if n, err := data.ReadAt(chunk[:end-off], int64(off)); n < end-off {
			fail(errUndefined, "%s: %v", r.name, err)
			return
		}
		if !t.exchange(dataPacket(block, chunk[:end-off]), block) {
			t.end(ctx, fail, r.name)
			return
		}
		if end-off < blksize { // the short block ends the transfer
			if s.o.OnDone != nil {
				s.o.OnDone(to, r.name, int64(size))
			}
			return
		}
		off = end
	}
}

// sender sends one transfer's packets and waits for their ACKs.
type sender struct {
	conn    *net.UDPConn
	to      net.Addr
	wait    time.Duration
	buf     []byte
	errSent bool // the client sent an ERROR: answer nothing
}

// exchange sends p until the client ACKs block, up to retries times. It
// reports whether the ACK came.
func (t *sender) exchange(p []byte, block uint16) bool {
	for try := 0; try < retries; try++ {
		if _, err := t.conn.WriteTo(p, t.to); err != nil {
			return false
		}
		deadline := time.Now().Add(t.wait)
		for {
			t.conn.SetReadDeadline(deadline)
			n, from, err := t.conn.ReadFrom(t.buf)
			if err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() && time.Now().After(deadline) {
					break // resend
				}
				return false // closed: the transfer's time is up
			}
			if from.String() != t.to.String() {
				// RFC 1350's unknown TID, but never to an ERROR, which
				// would answer back.
				if n >= 2 && binary.BigEndian.Uint16(t.buf) != opERROR {
					t.conn.WriteTo(errorPacket(errUnknownTID, "not this transfer's client"), from)
				}
				continue
			}
			if n < 4 {
				continue
			}
			switch binary.BigEndian.Uint16(t.buf) {
			case opACK:
				if binary.BigEndian.Uint16(t.buf[2:]) == block {
					return true
				}
				// An older block's ACK, late: wait on (no resend, which
				// would start the sorcerer's apprentice syndrome).
			case opERROR:
				t.errSent = true
				return false
			}
		}
	}
	return false
}

// end tells the client why its transfer stops, unless it stopped it.
func (t *sender) end(ctx context.Context, fail func(uint16, string, ...any), name string) {
	switch {
	case t.errSent:
	case ctx.Err() != nil:
		t.conn.SetDeadline(time.Time{})
		fail(errUndefined, "%s: transfer stopped: %v", name, context.Cause(ctx))
	default:
		fail(errUndefined, "%s: no ACK after %d tries", name, retries)
	}
}
