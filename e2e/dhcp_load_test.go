package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"rambox/boot"
	"rambox/serve/dhcp/dhcpload"
	"rambox/serve/servetest"
)

// The DHCP load lab: a /21, so that 200 fixed addresses and a pool for
// 800 unknown clients (1791 addresses) fit with room to spare.
const (
	loadServer  = "10.44.0.1"
	loadPrefix  = loadServer + "/21"
	loadKnown   = 200
	loadClients = 1000
)

// writeLoadInventory is nodes.yaml for the lab: loadKnown nodes with fixed
// addresses 10.44.0.10 on, unknown clients allowed from 10.44.1.0-7.254.
func writeLoadInventory(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("server:\n  ip: " + loadServer + "\n  subnet: 10.44.0.0\n  netmask: 255.255.248.0\n" +
		"  range: [10.44.1.0, 10.44.7.254]\n  allow_unknown: true\nnodes:\n")
	for i := range loadKnown {
		fmt.Fprintf(&b, "  - name: load%03d\n    mac: 52:54:00:44:%02x:%02x\n    ip: 10.44.0.%d\n", i, i>>8, i&0xff, 10+i)
	}
	p := filepath.Join(t.TempDir(), "nodes.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDHCPLoad is issue 12's DHCP load: 1,000 simulated clients (200 in
// the inventory, 800 unknown) do DISCOVER/OFFER/REQUEST/ACK from a second
// namespace against `rambox serve --dhcp full`, 64 in flight, within a
// minute. No address is acked to two MACs (by the clients' account and by
// serve's log), every inventory MAC gets its fixed address, every client
// finishes. With RAMBOX_DHCPLOAD_OUT set, a passing run writes its figures
// there as "key value" lines (bench/dhcp-load.sh records them).
func TestDHCPLoad(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces need root")
	}
	c := newCLI(t)
	_, bundleFile := c.publishToFile(t, fakeBundle(t, "dhcpload"), "oci:"+filepath.Join(t.TempDir(), "oci")+":dhcpload")
	load := filepath.Join(t.TempDir(), "dhcpload")
	build := exec.Command("go", "build", "-o", load, "./bench/internal/dhcpload")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build dhcpload: %v\n%s", err, out)
	}
	// The lab itself, builds done, is bounded: serve's start, the load's
	// 60 s and the teardown.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	ns, err := boot.NewNetns(ctx, boot.NetnsOptions{Server: netip.MustParsePrefix(loadPrefix), NoRA: true, Progress: testLogWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ns.Close(); err != nil {
			t.Error(err)
		}
	})
	inventory := writeLoadInventory(t)
	log := &servetest.Log{}
	argv := ns.Command(c.bin, "serve", "--bundle-file", bundleFile, "--key", filepath.Join(c.dir, "cosign.pub"),
		"--inventory", inventory, "--state", t.TempDir(), "--interface", ns.Bridge(), "--dhcp", "full",
		"--http", loadServer+":80", "--tftp", loadServer+":69")
	serve := exec.Command(argv[0], argv[1:]...)
	serve.Stdout, serve.Stderr = log, log
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before the namespace goes: cleanups run last first
		serve.Process.Signal(syscall.SIGTERM)
		serve.Wait()
	})
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(log.String(), "msg=serving"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not log msg=serving within 60s:\n%s", log)
		}
	}

	cn, err := dhcpload.NewClientNetns(ctx, ns.Name(), ns.Bridge())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cn.Close(); err != nil {
			t.Error(err)
		}
	})
	argv = cn.Command(load, "--iface", cn.Iface, "--clients", fmt.Sprint(loadClients), "--inventory-macs", inventory,
		"--concurrency", "64", "--timeout", "60s", "--step-timeout", "2s", "--retries", "3", "--detail")
	run := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr strings.Builder
	run.Stderr = &stderr
	stdout, err := run.Output()
	var out struct {
		Summary dhcpload.Summary  `json:"summary"`
		Clients []dhcpload.Client `json:"clients"`
	}
	if jerr := json.Unmarshal(stdout, &out); jerr != nil {
		t.Fatalf("dhcpload: %v (output not JSON: %v)\n%s\n%s", err, jerr, stdout, stderr.String())
	}
	s := out.Summary
	t.Logf("%d clients (%d in the inventory) in %.2fs: %.0f offers/s, %.0f DORA/s; DISCOVER->OFFER p50 %.2f ms p99 %.2f ms; DORA p50 %.2f ms p99 %.2f ms max %.2f ms; %d resends, %d NAKs",
		s.Clients, s.Known, s.WallS, s.OffersPerS, s.DORAPerS, s.OfferMS.P50, s.OfferMS.P99, s.DORAMS.P50, s.DORAMS.P99, s.DORAMS.Max, s.Resends, s.Naks)
	for _, p := range s.Problems {
		t.Error(p)
	}
	if err != nil && len(s.Problems) == 0 {
		t.Errorf("dhcpload: %v\n%s", err, stderr.String())
	}
	if s.Clients != loadClients || s.Known != loadKnown || s.Acked != loadClients {
		t.Errorf("dhcpload: %d clients, %d known, %d acked; want %d, %d, %d", s.Clients, s.Known, s.Acked, loadClients, loadKnown, loadClients)
	}

	// serve's own account: every ACK it logged, by address. serve logs a
	// reply after sending it, and its output reaches us through a pipe, so
	// the last lines may trail the clients' exit by a moment: wait for them,
	// bounded.
	acked, twice := loggedACKs(log.String())
	for deadline := time.Now().Add(10 * time.Second); len(acked) < loadClients && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		acked, twice = loggedACKs(log.String())
	}
	for _, e := range twice {
		t.Error(e)
	}
	if len(acked) != loadClients {
		t.Errorf("serve logged ACKs for %d addresses, want %d", len(acked), loadClients)
	}
	for _, cl := range out.Clients {
		if cl.IP.IsValid() && acked[cl.IP.String()] != cl.MAC {
			t.Errorf("client %s was acked %s, but serve's log has that ACK for %q", cl.MAC, cl.IP, acked[cl.IP.String()])
		}
	}
	if t.Failed() {
		t.Logf("serve's log (tail):\n%s", tail(log.String(), 40))
	}
	if p := os.Getenv("RAMBOX_DHCPLOAD_OUT"); p != "" && !t.Failed() {
		kv := fmt.Sprintf("clients %d\nwall-s %g\noffers-per-s %g\ndora-per-s %g\noffer-p50-ms %g\noffer-p99-ms %g\ndora-p50-ms %g\ndora-p99-ms %g\nresends %d\n",
			s.Clients, s.WallS, s.OffersPerS, s.DORAPerS, s.OfferMS.P50, s.OfferMS.P99, s.DORAMS.P50, s.DORAMS.P99, s.Resends)
		if err := os.WriteFile(p, []byte(kv), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// logField is the value of key=value in a slog text line ("" if absent).
// loggedACKs reads serve's log: the MAC each address was acked to, and an
// error for each address acked to two MACs.
func loggedACKs(log string) (acked map[string]string, twice []string) {
	acked = map[string]string{} // ip -> mac
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "msg=dhcp ") || !strings.Contains(line, " reply=ACK") {
			continue
		}
		ip, mac := logField(line, "ip"), logField(line, "mac")
		if prev, ok := acked[ip]; ok && prev != mac {
			twice = append(twice, fmt.Sprintf("serve acked %s to %s and to %s", ip, prev, mac))
		}
		acked[ip] = mac
	}
	return acked, twice
}

func logField(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}
