package dhcp

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"rambox/pxe"
)

// The end-to-end tests run the server in one network namespace and a real
// DHCP client in another, joined by a veth pair: nothing leaves the two
// namespaces they create.

const helperEnv = "RAMBOX_DHCP_HELPER" // the interface the helper serves on

// requireE2E gates the tests that need root and namespaces; under
// RAMBOX_E2E=1 a missing tool fails them.
func requireE2E(t *testing.T, tools ...string) {
	t.Helper()
	if os.Getenv("RAMBOX_E2E") != "1" {
		t.Skip("end-to-end test: set RAMBOX_E2E=1 (needs root)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("RAMBOX_E2E=1, but not root: network namespaces need root")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("RAMBOX_E2E=1, but %s is missing (ci/deps.sh installs it): %v", tool, err)
		}
	}
}

func run(t *testing.T, ctx context.Context, argv ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// link is a server namespace and a client namespace joined by a veth
// pair, the server end holding the inventory's server address and the
// client end clientMAC. Cleanup deletes both namespaces (and so the pair).
type link struct{ serverNS, clientNS, serverIf, clientIf string }

var linkSeq atomic.Int64

func newLink(t *testing.T, ctx context.Context, inv *pxe.Inventory, clientMAC string) *link {
	t.Helper()
	// Unique per process and test; 3+8 characters fit an interface name.
	id := fmt.Sprintf("%06x%02x", os.Getpid()&0xffffff, linkSeq.Add(1)&0xff)
	l := &link{serverNS: "rbdhcp-s-" + id, clientNS: "rbdhcp-c-" + id, serverIf: "rbs" + id, clientIf: "rbc" + id}
	for _, ns := range []string{l.serverNS, l.clientNS} {
		run(t, ctx, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		run(t, ctx, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	run(t, ctx, "ip", "-n", l.serverNS, "link", "add", l.serverIf, "type", "veth", "peer", "name", l.clientIf, "netns", l.clientNS)
	run(t, ctx, "ip", "-n", l.clientNS, "link", "set", l.clientIf, "address", clientMAC)
	run(t, ctx, "ip", "-n", l.serverNS, "addr", "add", fmt.Sprintf("%s/%d", inv.Network.Server, inv.Network.Prefix.Bits()), "dev", l.serverIf)
	run(t, ctx, "ip", "-n", l.serverNS, "link", "set", l.serverIf, "up")
	run(t, ctx, "ip", "-n", l.clientNS, "link", "set", l.clientIf, "up")
	return l
}

// startServer runs this test binary's TestHelperServe in the server
// namespace, serving mode on the server end; Cleanup stops it.
func startServer(t *testing.T, l *link, mode Mode) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", l.serverNS, os.Args[0], "-test.run=^TestHelperServe$")
	cmd.Env = append(os.Environ(), helperEnv+"="+l.serverIf, helperEnv+"_MODE="+mode.String())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server output:\n%s", out.String())
		}
	})
}

// TestHelperServe is the server process of the end-to-end tests; it does
// nothing unless started by one.
func TestHelperServe(t *testing.T) {
	iface := os.Getenv(helperEnv)
	if iface == "" {
		return
	}
	mode := Full
	if os.Getenv(helperEnv+"_MODE") == Proxy.String() {
		mode = Proxy
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	s, err := New(Config{Mode: mode, Inventory: inventory(t, nil), HTTPPort: httpPort,
		OnExchange: func(e Exchange) { fmt.Printf("%s %s -> %s %s %s %v\n", e.MAC, e.Request, e.Reply, e.IP, e.BootFile, e.Err) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ctx, iface); err != nil {
		t.Fatal(err)
	}
}

// busybox udhcpc, a real client, gets node1's fixed address and settings.
func TestE2EFullUdhcpc(t *testing.T) {
	requireE2E(t, "busybox")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inv := inventory(t, nil)
	l := newLink(t, ctx, inv, node1)
	startServer(t, l, Full)
	// The script prints what udhcpc learnt and configures nothing.
	script := filepath.Join(t.TempDir(), "udhcpc.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1\" = bound ] && echo \"ip=$ip subnet=$subnet router=$router hostname=$hostname siaddr=$siaddr serverid=$serverid\"\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := run(t, ctx, "ip", "netns", "exec", l.clientNS, "busybox", "udhcpc", "-i", l.clientIf, "-n", "-q", "-f", "-t", "10", "-T", "1", "-s", script)
	want := "ip=192.168.24.203 subnet=255.255.255.0 router=192.168.24.1 hostname=rambox01.home.dev siaddr=192.168.24.202 serverid=192.168.24.202"
	t.Logf("udhcpc: %s", out)
	if !strings.Contains(out, want) {
		t.Errorf("udhcpc printed\n%s\nwant a line %q", out, want)
	}
}
