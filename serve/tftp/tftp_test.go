package tftp_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rambox/bundle"
	"rambox/serve/bootfs"
	"rambox/serve/bootfs/bootfstest"
	"rambox/serve/tftp"
	"rambox/tftproot"
)

// start serves cur on a loopback port until the test ends.
func start(t *testing.T, cur *bootfs.Current) string {
	t.Helper()
	return startWith(t, cur, tftp.Options{})
}

func startWith(t *testing.T, cur *bootfs.Current, o tftp.Options) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tftp.New(cur, o).Serve(ctx, pc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve after cancel = %v, want nil", err)
		}
	})
	return pc.LocalAddr().String()
}

// reply is what a raw client got: the OACK's options, the file, or an
// ERROR.
type reply struct {
	oack    map[string]string
	data    []byte
	isErr   bool // an ERROR came
	errCode uint16
	errMsg  string
}

// get sends one request (opcode 1 RRQ or 2 WRQ) for name with the
// options opts ("blksize", "1024", ...) and, for a read, ACKs the
// transfer to its end. Raw packets, so the test sees the options and
// errors exactly as sent.
func get(t *testing.T, addr string, op uint16, name string, opts ...string) reply {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	to, _ := net.ResolveUDPAddr("udp4", addr)
	pkt := binary.BigEndian.AppendUint16(nil, op)
	for _, s := range append([]string{name, "octet"}, opts...) {
		pkt = append(append(pkt, s...), 0)
	}
	if _, err := c.WriteTo(pkt, to); err != nil {
		t.Fatal(err)
	}
	var r reply
	blksize := 512
	buf := make([]byte, 65536)
	for next := uint16(1); ; {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := buf[:n]
		ack := func(block uint16) { c.WriteTo(binary.BigEndian.AppendUint16([]byte{0, 4}, block), from) }
		switch binary.BigEndian.Uint16(p) {
		case 5: // ERROR
			r.isErr = true
			r.errCode = binary.BigEndian.Uint16(p[2:])
			r.errMsg = strings.TrimRight(string(p[4:]), "\x00")
			return r
		case 6: // OACK
			f := strings.Split(strings.TrimRight(string(p[2:]), "\x00"), "\x00")
			r.oack = map[string]string{}
			for i := 0; i+1 < len(f); i += 2 {
				r.oack[f[i]] = f[i+1]
			}
			if b, ok := r.oack["blksize"]; ok {
				blksize, _ = strconv.Atoi(b)
			}
			ack(0)
		case 3: // DATA
			block := binary.BigEndian.Uint16(p[2:])
			if block == next {
				r.data = append(r.data, p[4:]...)
				next++
			}
			ack(block)
			if block == next-1 && len(p)-4 < blksize {
				return r
			}
		default:
			t.Fatalf("%s: unexpected packet %x", name, p)
		}
	}
}

func serving(t *testing.T) (*bootfs.View, string) {
	var cur bootfs.Current
	v := bootfstest.New(t, strings.Repeat("kernel A ", 1000), false)
	cur.Store(v)
	return v, start(t, &cur)
}

// TestOptions: blksize, tsize and timeout are acknowledged in an OACK
// (tsize with the file's size), and the file arrives byte-identical.
func TestOptions(t *testing.T) {
	v, addr := serving(t)
	name := bootfs.BundlePath(v.Digests()[0].Encoded(), bundle.Kernel)
	want, _ := fs.ReadFile(v.FS(), name)
	for _, blksize := range []string{"512", "1024", "1468"} {
		r := get(t, addr, 1, name, "blksize", blksize, "tsize", "0", "timeout", "3")
		wantOpts := map[string]string{"blksize": blksize, "tsize": strconv.Itoa(len(want)), "timeout": "3"}
		if fmt.Sprint(r.oack) != fmt.Sprint(wantOpts) || !bytes.Equal(r.data, want) || r.isErr {
			t.Errorf("RRQ %s blksize %s: OACK %v, %d bytes, error %d %q; want OACK %v, the view's %d bytes", name, blksize, r.oack, len(r.data), r.errCode, r.errMsg, wantOpts, len(want))
		}
	}
	// No options: plain RFC 1350, 512-byte blocks, no OACK.
	if r := get(t, addr, 1, tftproot.UndionlyFile); r.oack != nil || string(r.data) != "loader undionly.kpxe" {
		t.Errorf("RRQ %s without options = OACK %v, %q, want no OACK, %q", tftproot.UndionlyFile, r.oack, r.data, "loader undionly.kpxe")
	}
}

// TestRefused: each bad request gets a TFTP error, and the server keeps
// serving.
func TestRefused(t *testing.T) {
	v, addr := serving(t)
	h := v.Digests()[0].Encoded()
	for _, tc := range []struct {
		op   uint16
		name string
		code uint16 // 1 not found, 2 access violation, 4 illegal operation
	}{
		{1, "../pxelinux.0", 2},
		{1, "/etc/passwd", 1},
		{1, "//pxelinux.0", 2},
		{1, "/../pxelinux.0", 2},
		{1, "bundles/" + h + "/../../pxelinux.0", 2},
		{1, "etc/passwd", 1},
		{1, "bzImage", 1},
		{1, "bundles", 1},
		{1, "bundles/" + h, 1},
		{2, "pxelinux.0", 4},
		{2, "new-file", 4},
	} {
		r := get(t, addr, tc.op, tc.name)
		if !r.isErr || r.errCode != tc.code || r.data != nil {
			t.Errorf("opcode %d %q = error %d %q, %d bytes, want error %d", tc.op, tc.name, r.errCode, r.errMsg, len(r.data), tc.code)
		}
		if r := get(t, addr, 1, tftproot.BootFile); string(r.data) != "loader "+tftproot.BootFile {
			t.Fatalf("after opcode %d %q, RRQ %s = %q, error %q: the server stopped serving", tc.op, tc.name, tftproot.BootFile, r.data, r.errMsg)
		}
	}
	// GRUB's form: a name under "/" is the root's.
	if r := get(t, addr, 1, "/"+tftproot.BootFile); string(r.data) != "loader "+tftproot.BootFile {
		t.Errorf("RRQ /%s = %q, error %q; want %s", tftproot.BootFile, r.data, r.errMsg, tftproot.BootFile)
	}
}

func TestNoView(t *testing.T) {
	addr := start(t, &bootfs.Current{})
	if r := get(t, addr, 1, tftproot.BootFile); !r.isErr || !strings.Contains(r.errMsg, "no verified bundle") {
		t.Errorf("RRQ with no View = %q, error %d %q, want an error saying there is no verified bundle", r.data, r.errCode, r.errMsg)
	}
}

// TestConcurrent: many transfers at once, each byte-identical, while
// Current switches between two Views (each file is one View's).
func TestConcurrent(t *testing.T) {
	var cur bootfs.Current
	a := bootfstest.New(t, strings.Repeat("kernel A ", 3000), false)
	b := bootfstest.New(t, strings.Repeat("kernel B ", 3000), false)
	cur.Store(a)
	addr := start(t, &cur)
	name := "pxelinux.cfg/C0A818CB"
	wantA, _ := fs.ReadFile(a.FS(), name)
	wantB, _ := fs.ReadFile(b.FS(), name)
	kernel := bootfs.BundlePath(a.Digests()[0].Encoded(), bundle.Kernel)
	wantKernel, _ := fs.ReadFile(a.FS(), kernel)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				if i%4 == 0 {
					cur.Store(b)
				} else {
					cur.Store(a)
				}
				r := get(t, addr, 1, name, "blksize", "16")
				if !bytes.Equal(r.data, wantA) && !bytes.Equal(r.data, wantB) {
					t.Errorf("RRQ %s at blksize 16 during switches = %q, error %q, want one View's %q or %q", name, r.data, r.errMsg, wantA, wantB)
				}
				return
			}
			r := get(t, addr, 1, kernel, "blksize", "1024", "tsize", "0")
			if r.isErr && r.errCode == 1 { // b current: a's kernel is not in it
				return
			}
			if !bytes.Equal(r.data, wantKernel) || r.oack["tsize"] != strconv.Itoa(len(wantKernel)) {
				t.Errorf("RRQ %s = %d bytes, tsize %s, error %q, want %d bytes", kernel, len(r.data), r.oack["tsize"], r.errMsg, len(wantKernel))
			}
		}()
	}
	wg.Wait()
}

// TestTransferTimeout: a client that stops ACKing gets an ERROR once the
// transfer's time is up, not after the retries.
func TestTransferTimeout(t *testing.T) {
	var cur bootfs.Current
	cur.Store(bootfstest.New(t, "kernel A", false))
	addr := startWith(t, &cur, tftp.Options{TransferTimeout: 200 * time.Millisecond})
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	to, _ := net.ResolveUDPAddr("udp4", addr)
	c.WriteTo([]byte("\x00\x01"+tftproot.BootFile+"\x00octet\x00"), to)
	began := time.Now()
	buf := make([]byte, 1024)
	for {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no ERROR within 3s of a stalled transfer: %v", err)
		}
		if binary.BigEndian.Uint16(buf) == 5 { // never ACKed: DATA 1 comes, then this
			if msg := string(buf[4:n]); !strings.Contains(msg, "transfer stopped") || time.Since(began) > 900*time.Millisecond {
				t.Errorf("stalled transfer ended with %q after %s, want \"transfer stopped\" within 900ms (before the 1s retransmit)", msg, time.Since(began))
			}
			return
		}
	}
}

// TestNoAnswerToNonRequests: an ERROR, ACK or DATA sent to the server's
// port gets no answer (answering an ERROR with one could loop between
// two servers forever), and the server serves on.
func TestNoAnswerToNonRequests(t *testing.T) {
	_, addr := serving(t)
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	to, _ := net.ResolveUDPAddr("udp4", addr)
	for _, p := range []string{"\x00\x05\x00\x05stray\x00", "\x00\x04\x00\x01", "\x00\x03\x00\x01data", "\x00", "\x00\x09"} {
		c.WriteTo([]byte(p), to)
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		buf := make([]byte, 1024)
		if n, _, err := c.ReadFrom(buf); err == nil {
			t.Errorf("packet %q to the server's port got answer %q, want none", p, buf[:n])
		}
	}
	if r := get(t, addr, 1, tftproot.BootFile); string(r.data) != "loader "+tftproot.BootFile {
		t.Errorf("after the stray packets, RRQ %s = %q, %q", tftproot.BootFile, r.data, r.errMsg)
	}
}
