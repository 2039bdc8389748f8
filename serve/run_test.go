package serve

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"rambox/serve/bootfs"
	"rambox/serve/servetest"
)

const (
	mac1 = "52:54:00:00:00:01"
	mac2 = "52:54:00:00:00:02"
)

// TestRunSIGHUP: SIGHUP re-reads the inventory (a new node's script is
// served); a bad inventory keeps the old View and the log says why;
// cancelling the context stops Run with nil.
func TestRunSIGHUP(t *testing.T) {
	ref, pub := published(t, "kernel")
	cfg := config(t, ref, pub)
	cfg.Inventory = servetest.Inventory(t, mac1)
	cfg.DHCP, cfg.HTTPAddr, cfg.TFTPAddr = DHCPOff, servetest.FreeAddr(t, "tcp"), servetest.FreeAddr(t, "udp")
	cfg.LoaderDirs = []string{servetest.Loaders(t)}
	var logs servetest.Log
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil))) }()

	script := func(mac string) int {
		m, _ := net.ParseMAC(mac)
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + cfg.HTTPAddr + "/" + bootfs.ScriptName(m))
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("waited in vain for %s; log:\n%s", what, logs.String())
	}
	waitFor("node 1's script", func() bool { return script(mac1) == http.StatusOK })
	if got := script(mac2); got != http.StatusNotFound {
		t.Fatalf("script of %s before it is in the inventory: %d, want 404", mac2, got)
	}

	servetest.WriteInventory(t, cfg.Inventory, mac1, mac2)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor("node 2's script after SIGHUP", func() bool { return script(mac2) == http.StatusOK })

	if err := os.WriteFile(cfg.Inventory, []byte("nodes: [{name: broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor("the log to say the inventory was not reloaded", func() bool { return strings.Contains(logs.String(), "inventory not reloaded") })
	if got := script(mac2); got != http.StatusOK {
		t.Errorf("script of %s after a bad inventory: %d, want 200 (the old View)", mac2, got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
