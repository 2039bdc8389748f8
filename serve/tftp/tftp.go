// Package tftp is rambox serve's read-only TFTP server: pack.ag/tftp (the
// library u-root uses) with one read handler that answers every request
// from the bootfs.View current when the request arrives.
//
// pack.ag negotiates the RFC 2347 option extension with blksize (RFC 2348),
// timeout and tsize (RFC 2349), and windowsize (RFC 7440); each transfer
// runs in its own goroutine on its own port, so transfers are concurrent.
//
// Refused, each with a TFTP error and the server serving on:
//   - write requests: no write handler is registered, so pack.ag answers a
//     WRQ with "illegal operation" before any ACK;
//   - names that are not fs.ValidPath: "../x", "a/../b", "" and names with
//     a leading "/". A leading "/" is refused rather than stripped: the
//     configs this server hands out name relative paths, pxelinux sends a
//     name as its config writes it (after its path prefix, empty for a
//     boot file at the root), and iPXE strips the one "/" its tftp:// URLs
//     carry before it sends the request. So no client of ours sends one,
//     and each file has exactly one name;
//   - names not in the View: the View is in memory, so a symlink or file
//     planted in any directory on disk does not exist here;
//   - netascii transfers: the View's files are binary, and a converted
//     transfer would not have the size tsize announced.
package tftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"sync"
	"time"

	"pack.ag/tftp"

	"rambox/serve/bootfs"
)

// DefaultTransferTimeout bounds one transfer when Options leave it 0:
// minutes for a kernel at blksize 512 on a slow link, not forever.
const DefaultTransferTimeout = 5 * time.Minute

// Options tune the server.
type Options struct {
	// TransferTimeout bounds each transfer; 0 means
	// DefaultTransferTimeout. A transfer past it gets a TFTP error at its
	// next block; one block waits at most pack.ag's retransmit count
	// times the negotiated timeout.
	TransferTimeout time.Duration
}

// Server serves a bootfs.Current over TFTP.
type Server struct {
	cur *bootfs.Current
	o   Options
}

// New returns a server reading cur on every request.
func New(cur *bootfs.Current, o Options) *Server {
	if o.TransferTimeout == 0 {
		o.TransferTimeout = DefaultTransferTimeout
	}
	return &Server{cur: cur, o: o}
}

// ErrNotUDP is returned by Serve for a net.PacketConn that is not a
// *net.UDPConn, the only kind pack.ag serves on.
var ErrNotUDP = errors.New("tftp: not a UDP socket")

// ListenAndServe listens on the UDP address addr ("127.0.0.1:6969",
// ":69") and serves until ctx is done.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return fmt.Errorf("tftp: listen %s: %w", addr, err)
	}
	return s.Serve(ctx, pc)
}

// Serve answers requests arriving on pc, which must be a *net.UDPConn,
// until ctx is done; then it closes pc and returns nil. Transfers under
// way finish on their own ports, within their timeout.
func (s *Server) Serve(ctx context.Context, pc net.PacketConn) error {
	conn, ok := pc.(*net.UDPConn)
	if !ok {
		return fmt.Errorf("%w: %T on %s", ErrNotUDP, pc, pc.LocalAddr())
	}
	srv, err := tftp.NewServer(conn.LocalAddr().String())
	if err != nil {
		return fmt.Errorf("tftp: %w", err)
	}
	srv.ReadHandler(tftp.ReadHandlerFunc(s.serveRead))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
		case <-stop:
		}
		srv.Close() // closes conn, which ends srv.Serve
	}()
	err = srv.Serve(conn)
	close(stop)
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("tftp: serving on %s: %w", conn.LocalAddr(), err)
}

// serveRead answers one read request from the View current now.
func (s *Server) serveRead(w tftp.ReadRequest) {
	v := s.cur.Load()
	if v == nil {
		w.WriteError(tftp.ErrCodeNotDefined, "no verified bundle to serve yet")
		return
	}
	name := w.Name()
	if w.TransferMode() != tftp.ModeOctet {
		w.WriteError(tftp.ErrCodeIllegalOperation, fmt.Sprintf("%s: only octet mode is served", name))
		return
	}
	if !fs.ValidPath(name) {
		w.WriteError(tftp.ErrCodeAccessViolation, fmt.Sprintf("%q: not a clean relative name", name))
		return
	}
	f, err := v.FS().Open(name)
	if err != nil {
		w.WriteError(tftp.ErrCodeFileNotFound, fmt.Sprintf("%s: not served", name))
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		w.WriteError(tftp.ErrCodeFileNotFound, fmt.Sprintf("%s: not a file", name))
		return
	}
	w.WriteSize(fi.Size())
	dw := &deadlineWriter{w: w, deadline: time.Now().Add(s.o.TransferTimeout)}
	if _, err := io.Copy(dw, f); errors.Is(err, errTransferTimeout) {
		w.WriteError(tftp.ErrCodeNotDefined, fmt.Sprintf("%s: transfer took longer than %s", name, s.o.TransferTimeout))
	}
}

var errTransferTimeout = errors.New("transfer timed out")

// deadlineWriter hands w one block-sized piece at a time and stops at
// the transfer's deadline.
type deadlineWriter struct {
	w        io.Writer
	deadline time.Time
}

// chunk is small enough that the deadline is checked every few blocks
// whatever blksize the client negotiated.
const chunk = 64 << 10

func (d *deadlineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if time.Now().After(d.deadline) {
			return n, errTransferTimeout
		}
		c := min(len(p), chunk)
		m, err := d.w.Write(p[:c])
		n += m
		if err != nil {
			return n, err
		}
		p = p[c:]
	}
	return n, nil
}
