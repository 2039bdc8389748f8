package serve

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"rambox/bundle"
	"rambox/ocibundle"
	"rambox/serve/bootfs"
	"rambox/serve/bootfs/bootfstest"
	"rambox/serve/servetest"
)

const (
	mac1 = "52:54:00:00:00:01"
	mac2 = "52:54:00:00:00:02"
)

// running is a Run in the background on loopback, --dhcp off.
type running struct {
	t      *testing.T
	cfg    Config
	logs   *servetest.Log
	cancel context.CancelFunc
	done   chan error
}

func startRun(t *testing.T, cfg Config) *running {
	cfg.DHCP, cfg.HTTPAddr, cfg.TFTPAddr = DHCPOff, servetest.FreeAddr(t, "tcp"), servetest.FreeAddr(t, "udp")
	cfg.LoaderDirs = bootfstest.Loaders(t).Dirs
	r := &running{t: t, cfg: cfg, logs: &servetest.Log{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	t.Cleanup(cancel)
	go func() { r.done <- Run(ctx, cfg, slog.New(slog.NewTextHandler(r.logs, nil))) }()
	return r
}

// status is the HTTP status of GET name (0 when nothing answers).
func (r *running) status(name string) int {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + r.cfg.HTTPAddr + "/" + name)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// body is the body of GET name ("" when nothing answers).
func (r *running) body(name string) string {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + r.cfg.HTTPAddr + "/" + name)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (r *running) waitFor(what string, ok func() bool) {
	r.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	r.t.Fatalf("waited in vain for %s; log:\n%s", what, r.logs.String())
}

// hup sends this process SIGHUP, which Run catches.
func hup() { syscall.Kill(os.Getpid(), syscall.SIGHUP) }

// stop cancels Run and wants nil back.
func (r *running) stop() {
	r.t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		r.t.Fatal("Run did not return after cancel")
	}
}

func scriptOf(mac string) string {
	m, _ := net.ParseMAC(mac)
	return bootfs.ScriptName(m)
}

// TestRunSIGHUP: SIGHUP re-reads the inventory (a new node's script is
// served); a bad inventory keeps the old View and the log says why;
// cancelling the context stops Run with nil.
func TestRunSIGHUP(t *testing.T) {
	ref, pub := published(t, "kernel")
	cfg := config(t, ref, pub)
	cfg.Inventory = servetest.Inventory(t, mac1)
	r := startRun(t, cfg)
	r.waitFor("node 1's script", func() bool { return r.status(scriptOf(mac1)) == http.StatusOK })
	if got := r.status(scriptOf(mac2)); got != http.StatusNotFound {
		t.Fatalf("script of %s before it is in the inventory: %d, want 404", mac2, got)
	}

	servetest.WriteInventory(t, cfg.Inventory, mac1, mac2)
	hup()
	r.waitFor("node 2's script after SIGHUP", func() bool { return r.status(scriptOf(mac2)) == http.StatusOK })

	if err := os.WriteFile(cfg.Inventory, []byte("nodes: [{name: broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hup()
	r.waitFor("the log to say the inventory was not reloaded", func() bool { return strings.Contains(r.logs.String(), "desired state not reloaded") })
	if got := r.status(scriptOf(mac2)); got != http.StatusOK {
		t.Errorf("script of %s after a bad inventory: %d, want 200 (the old View)", mac2, got)
	}
	r.stop()
}

// TestRunSwitchesBundle: a new ref in the bundle file, on SIGHUP, is
// verified and then served, and the old digest's paths stay served until
// the next switch (a client that read its script before the switch can
// finish its boot); one that does not verify leaves the old bundle served.
func TestRunSwitchesBundle(t *testing.T) {
	key, pub := newKey(t)
	one, two, three := publishWith(t, key, "kernel one"), publishWith(t, key, "kernel two"), publishWith(t, key, "kernel three")
	bad, _ := published(t, "signed by a stranger")
	file := filepath.Join(t.TempDir(), "bundle")
	point := func(r ocibundle.Ref) {
		if err := os.WriteFile(file, []byte(r.String()+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	point(one)
	cfg := config(t, ocibundle.Ref{}, pub)
	cfg.BundleFile, cfg.Inventory = file, servetest.Inventory(t, mac1)
	kernelOf := func(r ocibundle.Ref) string { return bootfs.BundlePath(r.Digest.Encoded(), bundle.Kernel) }
	r := startRun(t, cfg)
	r.waitFor("bundle one", func() bool { return r.status(kernelOf(one)) == http.StatusOK })

	point(two)
	hup()
	r.waitFor("bundle two after SIGHUP", func() bool { return r.status(kernelOf(two)) == http.StatusOK })
	if got := r.status(kernelOf(one)); got != http.StatusOK {
		t.Errorf("bundle one's kernel right after the switch: %d, want 200 (the previous bundle)", got)
	}
	if script := r.body(scriptOf(mac1)); !strings.Contains(script, two.Digest.Encoded()) {
		t.Errorf("script after the switch:\n%s\nwant it to name %s", script, two.Digest)
	}
	point(three)
	hup()
	r.waitFor("bundle three after SIGHUP", func() bool { return r.status(kernelOf(three)) == http.StatusOK })
	if got := r.status(kernelOf(one)); got != http.StatusNotFound {
		t.Errorf("bundle one's kernel two switches later: %d, want 404", got)
	}
	two = three

	point(bad)
	hup()
	r.waitFor("the log to say the bundle was not switched", func() bool { return strings.Contains(r.logs.String(), "bundle not switched") })
	if got := r.status(kernelOf(two)); got != http.StatusOK {
		t.Errorf("bundle two's kernel after a bad switch: %d, want 200", got)
	}
	if !strings.Contains(r.logs.String(), bad.Digest.String()) {
		t.Errorf("log:\n%s\nwant it to name the refused %s", r.logs.String(), bad.Digest)
	}
	r.stop()
}
