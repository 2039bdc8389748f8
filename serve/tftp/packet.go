package tftp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Opcodes (RFC 1350, RFC 2347).
const (
	opRRQ   = 1
	opWRQ   = 2
	opDATA  = 3
	opACK   = 4
	opERROR = 5
	opOACK  = 6
)

// Error codes (RFC 1350).
const (
	errUndefined  = 0
	errNotFound   = 1
	errAccess     = 2
	errIllegal    = 4
	errUnknownTID = 5
)

// request is a parsed RRQ or WRQ.
type request struct {
	op      uint16
	name    string
	mode    string // lower-case
	blksize int    // 0: not asked for
	timeout time.Duration
	tsize   bool // the client asked for the size
}

// The ranges RFC 2348 and RFC 2349 allow.
const (
	minBlksize, maxBlksize = 8, 65464
	defaultBlksize         = 512
	minTimeout, maxTimeout = 1, 255
)

// parseRequest parses an RRQ or WRQ: opcode, name, mode, then option and
// value pairs, each string NUL-terminated. Options out of range or
// unknown are dropped.
func parseRequest(p []byte) (request, error) {
	if len(p) < 2 {
		return request{}, errors.New("short packet")
	}
	r := request{op: binary.BigEndian.Uint16(p)}
	if r.op != opRRQ && r.op != opWRQ {
		return request{}, fmt.Errorf("opcode %d is not a request", r.op)
	}
	body := p[2:]
	if len(body) == 0 || body[len(body)-1] != 0 {
		return request{}, errors.New("request fields not NUL-terminated")
	}
	f := strings.Split(string(body[:len(body)-1]), "\x00")
	if len(f) < 2 || len(f)%2 != 0 {
		return request{}, errors.New("request has no mode, or an option without a value")
	}
	// GRUB names every file under its $prefix, (tftp,SERVER)/grub, so it
	// asks for "/grub/grub.cfg": one leading "/" means the root. A second
	// one is left for fs.ValidPath to refuse.
	r.name, r.mode = strings.TrimPrefix(f[0], "/"), strings.ToLower(f[1])
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.Atoi(f[i+1])
		switch strings.ToLower(f[i]) {
		case "blksize":
			if err == nil && v >= minBlksize && v <= maxBlksize {
				r.blksize = v
			}
		case "timeout":
			if err == nil && v >= minTimeout && v <= maxTimeout {
				r.timeout = time.Duration(v) * time.Second
			}
		case "tsize":
			r.tsize = err == nil && v == 0 // a reader asks with 0
		}
	}
	return r, nil
}

// oack is the OACK for r's accepted options, or nil when there are none.
func (r request) oack(size int64) []byte {
	var opts []string
	if r.blksize != 0 {
		opts = append(opts, "blksize", strconv.Itoa(r.blksize))
	}
	if r.timeout != 0 {
		opts = append(opts, "timeout", strconv.Itoa(int(r.timeout/time.Second)))
	}
	if r.tsize {
		opts = append(opts, "tsize", strconv.FormatInt(size, 10))
	}
	if opts == nil {
		return nil
	}
	var b bytes.Buffer
	b.Write([]byte{0, opOACK})
	for _, o := range opts {
		b.WriteString(o)
		b.WriteByte(0)
	}
	return b.Bytes()
}

func errorPacket(code uint16, msg string) []byte {
	p := binary.BigEndian.AppendUint16([]byte{0, opERROR}, code)
	return append(append(p, msg...), 0)
}

func dataPacket(block uint16, data []byte) []byte {
	return append(binary.BigEndian.AppendUint16([]byte{0, opDATA}, block), data...)
}
