package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pack.ag/tftp"

	"rambox/bundle"
	"rambox/bundle/bundletest"
	"rambox/ocibundle"
	"rambox/serve/bootfs"
	"rambox/serve/bootfs/bootfstest"
	"rambox/serve/servetest"
)

// servedBundle is a fake bundle published, signed, to an OCI layout in
// t.TempDir by the CLI.
type servedBundle struct {
	ref    ocibundle.Ref // pinned
	pub    string        // the public key
	kernel []byte
}

func publishForServe(t *testing.T, kernel string) servedBundle {
	t.Helper()
	dir := bundletest.Write(t, kernel, "rw ip=dhcp rambox")
	keys := t.TempDir()
	cmd := exec.Command(ramboxBin, "publish", "--bundle", dir, "--to", "oci:"+filepath.Join(t.TempDir(), "oci")+":latest",
		"--key", filepath.Join(keys, "cosign.key"), "--source-url", "x", "--revision", "y")
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, stderr.Bytes())
	}
	ref, err := ocibundle.ParseRef(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	pubs, _ := filepath.Glob(filepath.Join(keys, "*.pub"))
	if len(pubs) != 1 {
		t.Fatalf("publish made public keys %q, want one", pubs)
	}
	return servedBundle{ref: ref.Pinned(), pub: pubs[0], kernel: []byte(kernel)}
}

const testMAC = "52:54:00:12:34:56"

// server is a running `rambox serve`.
type server struct {
	cmd        *exec.Cmd
	log        *servetest.Log
	http, tftp string
	exited     chan error
}

func startServe(t *testing.T, b servedBundle, state string) *server {
	t.Helper()
	inventory, loaders := servetest.Inventory(t, testMAC), bootfstest.Loaders(t).Dirs[0]
	s := &server{log: &servetest.Log{}, http: servetest.FreeAddr(t, "tcp"), tftp: servetest.FreeAddr(t, "udp"), exited: make(chan error, 1)}
	s.cmd = exec.Command(ramboxBin, "serve", "--bundle", b.ref.String(), "--key", b.pub, "--inventory", inventory, "--state", state,
		"--dhcp", "off", "--http", s.http, "--tftp", s.tftp, "--bootloader-dir", loaders)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() { s.cmd.Process.Kill() })
	return s
}

// ready waits until s answers HTTP, or fails with its log.
func (s *server) ready(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.exited:
			t.Fatalf("serve exited: %v\n%s", err, s.log)
		default:
		}
		if c, err := net.DialTimeout("tcp", s.http, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not listen on %s in time\n%s", s.http, s.log)
}

// stop sends SIGTERM and wants exit 0.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v, want exit 0\n%s", err, s.log)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("serve did not stop after SIGTERM\n%s", s.log)
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func tftpGet(t *testing.T, addr, name string) []byte {
	t.Helper()
	c, err := tftp.NewClient(tftp.ClientTimeout(2), tftp.ClientRetransmit(3))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get("tftp://" + addr + "/" + name)
	if err != nil {
		t.Fatalf("TFTP %s: %v", name, err)
	}
	b, err := io.ReadAll(resp)
	if err != nil {
		t.Fatalf("TFTP %s: %v", name, err)
	}
	return b
}

// checkServes fetches b's kernel over HTTP (whole, a range, conditional)
// and TFTP, and the node's iPXE script, each byte-identical to b.
func checkServes(t *testing.T, s *server, b servedBundle) {
	t.Helper()
	kernel := bootfs.BundlePath(b.ref.Digest.Encoded(), bundle.Kernel)
	base := "http://" + s.http + "/"
	sum := sha256.Sum256(b.kernel)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`

	resp, body := get(t, base+kernel)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, b.kernel) || resp.Header.Get("ETag") != etag {
		t.Errorf("GET %s = %s, %q, ETag %s; want 200, %q, ETag %s", kernel, resp.Status, body, resp.Header.Get("ETag"), b.kernel, etag)
	}
	resp, body = get(t, base+kernel, "Range", "bytes=1-3")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, b.kernel[1:4]) {
		t.Errorf("GET %s bytes=1-3 = %s, %q; want 206, %q", kernel, resp.Status, body, b.kernel[1:4])
	}
	if resp, _ = get(t, base+kernel, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET %s If-None-Match its ETag = %s, want 304", kernel, resp.Status)
	}
	if got := tftpGet(t, s.tftp, kernel); !bytes.Equal(got, b.kernel) {
		t.Errorf("TFTP %s = %q, want %q", kernel, got, b.kernel)
	}
	mac, _ := net.ParseMAC(testMAC)
	resp, body = get(t, base+bootfs.ScriptName(mac))
	if want := "http://" + s.http + "/" + kernel; resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		t.Errorf("GET %s = %s, %q; want 200 naming %s", bootfs.ScriptName(mac), resp.Status, body, want)
	}
}

// TestServe: serve, --dhcp off, on loopback, from an OCI layout: the
// verified kernel over HTTP and TFTP; SIGTERM exits 0; a second start
// without the layout serves the last good bundle and says so.
func TestServe(t *testing.T) {
	b := publishForServe(t, "kernel served by rambox serve")
	state := t.TempDir()
	s := startServe(t, b, state)
	s.ready(t)
	checkServes(t, s, b)
	s.stop(t)

	if err := os.RemoveAll(b.ref.Layout); err != nil {
		t.Fatal(err)
	}
	s = startServe(t, b, state)
	s.ready(t)
	checkServes(t, s, b)
	if log := s.log.String(); !strings.Contains(log, "last good") || !strings.Contains(log, b.ref.Digest.String()) {
		t.Errorf("serve from the last good bundle logged:\n%s\nwant it to say so, naming %s", log, b.ref.Digest)
	}
	s.stop(t)
}

// TestServeRefuses: without a verified bundle serve listens nowhere and
// exits non-zero naming the digest and why.
func TestServeRefuses(t *testing.T) {
	b := publishForServe(t, "kernel signed by another key")
	b.pub = publishForServe(t, "other").pub
	s := startServe(t, b, t.TempDir())
	select {
	case err := <-s.exited:
		log := s.log.String()
		if err == nil || !strings.Contains(log, b.ref.Digest.Encoded()) || !strings.Contains(log, "no signature verifies") {
			t.Errorf("serve with the wrong key: %v\n%s\nwant exit non-zero naming %s and the bad signature", err, log, b.ref.Digest)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve with the wrong key still runs\n%s", s.log)
	}
	if c, err := net.DialTimeout("tcp", s.http, time.Second); err == nil {
		c.Close()
		t.Errorf("something listens on %s after serve refused", s.http)
	}
}
