// Package tftp is rambox serve's read-only TFTP server (RFC 1350) with the
// option extension (RFC 2347) for blksize (RFC 2348), timeout and tsize
// (RFC 2349). It answers every read request from the bootfs.View current
// when the request arrives, each transfer in its own goroutine from its
// own port, so transfers are concurrent and a switch of View never mixes
// two bundles in one file.
//
// It is its own code, not pack.ag/tftp: pack.ag takes a client's blksize
// or windowsize option unchecked, and one read request with "blksize 0"
// panics it (an index out of range in its ring buffer, in a goroutine no
// handler can recover), which kills the whole boot server from one
// packet. That code is reached before a handler sees the request, and the
// library, unchanged since 2018, cannot be told to refuse the option. A
// read-only server with three options is small enough to own.
//
// Refused, each with a TFTP ERROR and the server serving on:
//   - write requests (WRQ): error 4, before any ACK, so nothing is sent;
//   - names that are not fs.ValidPath once one leading "/" is taken off:
//     "../x", "a/../b", "", "//x" (error 2, access violation). pxelinux
//     and iPXE send relative names, but GRUB sends every name under its
//     $prefix, "/grub/...", and names the kernel it loads as the config
//     writes it; so "/x" is x, as under tftp-hpa's --secure root;
//   - names not in the View (error 1): the View is in memory, so a symlink
//     or file planted in any directory on disk does not exist here;
//   - netascii and mail transfers (error 4): the View's files are binary,
//     and a converted transfer would not have the size tsize announced.
//
// Option values out of their RFC ranges (blksize 8-65464, timeout 1-255)
// are ignored, as RFC 2347 lets a server do: the transfer goes on with the
// defaults.
package tftp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"rambox/serve/bootfs"
)

// DefaultTransferTimeout bounds one transfer when Options leave it 0:
// minutes for a kernel at blksize 512 on a slow link, not forever.
const DefaultTransferTimeout = 5 * time.Minute

// Options tune the server.
type Options struct {
	// TransferTimeout bounds each transfer; 0 means
	// DefaultTransferTimeout. A transfer past it gets a TFTP error.
	TransferTimeout time.Duration
	// OnDone, when set, is called after each transfer the client
	// acknowledged to its last block: who, which name, how many bytes.
	// The transfer log and the metrics hang off it.
	OnDone func(client net.Addr, name string, size int64)
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

// ErrNotUDP is returned by Serve for a net.PacketConn that is not UDP:
// each transfer answers from a UDP port of its own on pc's address.
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

// Serve answers requests arriving on pc, a UDP socket, until ctx is done;
// then it closes pc, stops the transfers under way and returns nil once
// they have ended.
func (s *Server) Serve(ctx context.Context, pc net.PacketConn) error {
	local, ok := pc.LocalAddr().(*net.UDPAddr)
	if !ok {
		pc.Close()
		return fmt.Errorf("%w: %s", ErrNotUDP, pc.LocalAddr())
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	go func() {
		<-ctx.Done()
		pc.Close() // ends ReadFrom
	}()
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("tftp: serving on %s: %w", local, err)
		}
		req, err := parseRequest(buf[:n])
		if err != nil {
			// Not a request: a stray ACK, DATA or ERROR, or noise. No
			// answer: an ERROR answered with one can loop between two
			// servers forever, and nothing here is waiting for it.
			continue
		}
		if req.op != opRRQ {
			pc.WriteTo(errorPacket(errIllegal, fmt.Sprintf("%s: this server is read-only", req.name)), from)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.transfer(ctx, local.IP, from, req)
		}()
	}
}
