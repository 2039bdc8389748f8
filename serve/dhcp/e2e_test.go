package dhcp

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/insomniacslk/dhcp/iana"

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
// namespace, serving mode on the server end.
func startServer(t *testing.T, l *link, mode Mode) {
	t.Helper()
	start(t, "server", []string{"ip", "netns", "exec", l.serverNS, os.Args[0], "-test.run=^TestHelperServe$"},
		helperEnv+"="+l.serverIf, helperEnv+"_MODE="+mode.String())
}

// start runs a daemon until the test ends (SIGTERM, then SIGKILL after
// 5 s), and logs its output if the test failed.
func start(t *testing.T, name string, argv []string, env ...string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var out syncBuilder
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
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
}

// syncBuilder is a strings.Builder two writers may share.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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
		OnExchange: func(e Exchange) {
			fmt.Printf("%s %s -> %s %s %s %v\n", e.MAC, e.Request, e.Reply, e.IP, e.BootFile, e.Err)
		}})
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

const clientEnv = "RAMBOX_DHCP_CLIENT" // the interface the client helper sends on

// TestHelperClient is the client process of the proxy test: it
// broadcasts a BIOS PXE DISCOVER from the interface's MAC (with the
// library's raw-socket conn, as nclient4 does) once a second and prints
// every reply to it, one summary a line, until it has seen two distinct
// replies or 10 s pass. It does nothing unless started by a test.
func TestHelperClient(t *testing.T) {
	iface := os.Getenv(clientEnv)
	if iface == "" {
		return
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := nclient4.NewRawUDPConn(iface, dhcpv4.ClientPort)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req, err := dhcpv4.NewDiscovery(ifi.HardwareAddr,
		dhcpv4.WithOption(dhcpv4.OptClassIdentifier(biosPXE)),
		dhcpv4.WithOption(dhcpv4.OptClientArch(iana.INTEL_X86PC)))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 1500)
	for len(seen) < 2 && time.Now().Before(deadline) {
		if _, err := conn.WriteTo(req.ToBytes(), &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpv4.ServerPort}); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(time.Second))
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				break // the second is up: send again
			}
			resp, err := dhcpv4.FromBytes(buf[:n])
			if err != nil || resp.TransactionID != req.TransactionID || resp.OpCode != dhcpv4.OpcodeBootReply {
				continue
			}
			line := summary(resp) + " server=" + resp.ServerIdentifier().String()
			if !seen[line] {
				seen[line] = true
				fmt.Println(line)
			}
		}
	}
}

// Proxy mode next to ISC dhcpd on the same link: a PXE DISCOVER gets
// dhcpd's offer of the node's address and serve's proxy offer with no
// address and the boot file.
func TestE2EProxyBesideDhcpd(t *testing.T) {
	requireE2E(t, "dhcpd")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// dhcpd's own offer names a boot file too (the seed's config); the
	// proxy's is told apart by its empty yiaddr and its file.
	inv := inventory(t, nil)
	l := newLink(t, ctx, inv, node1)
	dir := t.TempDir()
	var conf bytes.Buffer
	if err := pxe.WriteDhcpdConf(&conf, inv); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"dhcpd.conf": conf.Bytes(), "dhcpd.leases": nil} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start(t, "dhcpd", []string{"ip", "netns", "exec", l.serverNS, "dhcpd", "-d", "-4",
		"-cf", filepath.Join(dir, "dhcpd.conf"), "-lf", filepath.Join(dir, "dhcpd.leases"), "-pf", filepath.Join(dir, "dhcpd.pid"), l.serverIf})
	startServer(t, l, Proxy)
	out := run(t, ctx, "ip", "netns", "exec", l.clientNS, "env", clientEnv+"="+l.clientIf, os.Args[0], "-test.run=^TestHelperClient$", "-test.v")
	t.Logf("client: %s", out)
	for _, want := range []string{
		"OFFER yiaddr=192.168.24.203 siaddr=192.168.24.202 file=pxelinux.0 server=192.168.24.202", // dhcpd
		"OFFER yiaddr=0.0.0.0 siaddr=192.168.24.202 file=undionly.kpxe server=192.168.24.202",     // serve, proxy
	} {
		if !strings.Contains(out, want) {
			t.Errorf("client saw\n%s\nwant a reply %q", out, want)
		}
	}
}
