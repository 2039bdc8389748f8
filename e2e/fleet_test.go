package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"rambox/boot"
	"rambox/bundle"
	"rambox/serve"
	"rambox/serve/bootfs"
	"rambox/serve/metrics/metricstest"
	"rambox/serve/records"
	"rambox/serve/servetest"
	"rambox/serve/status"
	"rambox/serve/status/statustest"
)

// Issue 12's proofs: a serve.yaml group rolled out through a canary with
// QEMU nodes whose /init reports back, the status page in real headless
// Chromium, /metrics through promtool, a kill -9 of serve while four
// clients boot, and a registry down at reconcile time.

// failingBundle is a copy of bundleDir whose /init fails its selftest:
// its ping goes to an address nobody has. The report is still posted,
// with result FAIL.
func failingBundle(t *testing.T, bundleDir string) string {
	t.Helper()
	dir := regenerated(t, bundleDir, "rambox.gen=failing")
	root := t.TempDir()
	initramfs := filepath.Join(dir, bundle.Initramfs)
	sh := func(script string) {
		t.Helper()
		if out, err := exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
	}
	sh(fmt.Sprintf("cd %s && gzip -dc %s | cpio -idm --quiet", root, initramfs))
	b, err := os.ReadFile(filepath.Join(root, "init"))
	if err != nil {
		t.Fatal(err)
	}
	ping := regexp.MustCompile(`ping -c 3 -A -W 2 "\$target"`)
	if !ping.Match(b) {
		t.Fatalf("rootfs/tree/init has no selftest ping to change:\n%s", b)
	}
	b = ping.ReplaceAll(b, []byte(`ping -c 1 -W 1 10.43.0.254`))
	if err := os.WriteFile(filepath.Join(root, "init"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	sh(fmt.Sprintf("cd %s && find . | sort | cpio -o -H newc --quiet | gzip -9n > %s", root, initramfs))
	info, _, err := bundle.ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(info.Files))
	for i, f := range info.Files {
		names[i] = f.Name
	}
	if err := info.Describe(dir, names); err != nil {
		t.Fatal(err)
	}
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeServeYAML writes serve.yaml: one group "web" of the given nodes,
// the first the canary, on bundle ref.
func writeServeYAML(t *testing.T, file, inventory, pub, ref string, nodes []serveNode) {
	t.Helper()
	var names []string
	for _, n := range nodes {
		names = append(names, n.name)
	}
	y := fmt.Sprintf("inventory: %s\ngroups:\n  - name: web\n    bundle: %s\n    nodes: [%s]\n    canary: [%s]\n    promote: on-success\n    trust:\n      key: %s\n  - name: rest\n    default: true\n    bundle: %s\n    trust:\n      key: %s\n",
		inventory, ref, strings.Join(names, ", "), names[0], pub, ref, pub)
	// Written beside and renamed, as an editor saves: the watcher sees one change.
	if err := os.WriteFile(file+".new", []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(file+".new", file); err != nil {
		t.Fatal(err)
	}
}

// snapshot is serve's status API, read from inside the namespace.
func (l *lab) snapshot() status.Snapshot {
	l.t.Helper()
	out, err := l.in("curl", "-sS", "--fail", "--max-time", "10", "http://"+serveServer+status.APIPath)
	if err != nil {
		l.t.Fatalf("status API: %v: %s", err, out)
	}
	var s status.Snapshot
	if err := json.Unmarshal(out, &s); err != nil {
		l.t.Fatalf("status API: %v: %s", err, out)
	}
	return s
}

func nodeOf(s status.Snapshot, name string) status.Node {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n
		}
	}
	return status.Node{}
}

func groupOf(s status.Snapshot, name string) status.Group {
	for _, g := range s.Groups {
		if g.Name == name {
			return g
		}
	}
	return status.Group{}
}

// bootedDigest is the rambox.bundle= digest on a selftest's command line.
func bootedDigest(cmdline string) string {
	for _, w := range strings.Fields(cmdline) {
		if d, ok := strings.CutPrefix(w, bootfs.CmdlineBundle); ok {
			return d
		}
	}
	return ""
}

// TestFleetCanary: group web moves from A to B through its canary
// (node 1 boots B and reports PASS, then node 2 boots B); a second rollout,
// to a bundle whose /init fails, stops at the canary. The status page is
// read through real headless Chromium, /metrics through promtool.
func TestFleetCanary(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	for _, tool := range []string{"curl", "qemu-system-x86_64", "promtool", "cpio"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s: %v (ci/deps.sh installs it)", tool, err)
		}
	}
	if _, err := statustest.Chromium(); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	layout := "oci:" + filepath.Join(t.TempDir(), "oci")
	refA := c.publish(regenerated(t, bundleDir, "rambox.gen=A"), layout+":a")
	refB := c.publish(regenerated(t, bundleDir, "rambox.gen=B"), layout+":b")
	refBad := c.publish(failingBundle(t, bundleDir), layout+":bad")
	dA, dB, dBad := refA[strings.LastIndex(refA, "@")+1:], refB[strings.LastIndex(refB, "@")+1:], refBad[strings.LastIndex(refBad, "@")+1:]
	pub := filepath.Join(c.dir, "cosign.pub")
	nodes := serveNodes[1:3] // ipxe01 (canary), ipxe02
	config := filepath.Join(t.TempDir(), "serve.yaml")
	inventory := writeServeInventory(t)
	writeServeYAML(t, config, inventory, pub, refA, nodes)
	l := newLab(t)
	l.serve(c, "full", "--config", config)

	// Rollout A -> B: the file changes, serve notices without a signal.
	writeServeYAML(t, config, inventory, pub, refB, nodes)
	l.waitLog("canary started on "+nodes[0].name, 60*time.Second)
	if g := groupOf(l.snapshot(), "web"); g.State != serve.StateCanary || g.Canary != dB || g.Serving != dA {
		t.Fatalf("group web after the change: %+v, want canary %s beside serving %s", g, dB, dA)
	}
	r1 := l.boot(nodes[0], boot.FirmwareSeaBIOS, boot.NICROMiPXE)
	if got := bootedDigest(r1.Fields["cmdline"]); got != dB {
		t.Errorf("canary %s booted %s, want %s", nodes[0].name, got, dB)
	}
	l.waitLog("every canary passed: promoted", 30*time.Second)
	r2 := l.boot(nodes[1], boot.FirmwareSeaBIOS, boot.NICROMiPXE)
	if got := bootedDigest(r2.Fields["cmdline"]); got != dB {
		t.Errorf("%s booted %s after the promotion, want %s", nodes[1].name, got, dB)
	}
	s := l.snapshot()
	for _, n := range nodes {
		sn := nodeOf(s, n.name)
		if sn.Booted != dB || sn.Result != records.ResultPass || sn.BootTime <= 0 || sn.Flag != "" {
			t.Errorf("status of %s: %+v, want booted %s, PASS, a boot time, no flag", n.name, sn, dB)
		}
		t.Logf("%s: booted %s in %v (DHCP offer -> report)", n.name, status.Short(sn.Booted), sn.BootTime)
	}
	if g := groupOf(s, "web"); g.State != serve.StateServing || g.Serving != dB || g.Previous != dA {
		t.Errorf("group web after the promotion: %+v, want serving %s, previous %s", g, dB, dA)
	}

	// Rollout B -> the failing bundle: it stops at the canary.
	since := len(l.log.String())
	writeServeYAML(t, config, inventory, pub, refBad, nodes)
	l.waitLogSince(since, "canary started on "+nodes[0].name, 60*time.Second)
	r3 := l.boot(nodes[0], boot.FirmwareSeaBIOS, boot.NICROMiPXE)
	if got := bootedDigest(r3.Fields["cmdline"]); got != dBad {
		t.Errorf("canary %s booted %s, want the failing %s", nodes[0].name, got, dBad)
	}
	l.waitLogSince(since, "failed its selftest", 30*time.Second)
	s = l.snapshot()
	if g := groupOf(s, "web"); g.State != serve.StateFailed || g.Serving != dB || g.Canary != "" || !strings.Contains(g.Reason, nodes[0].name) {
		t.Errorf("group web after the failed canary: %+v, want failed, still serving %s, the reason naming %s", g, dB, nodes[0].name)
	}
	for _, n := range nodes {
		if sn := nodeOf(s, n.name); sn.Given != dB {
			t.Errorf("%s is given %s after the failed canary, want the good %s", n.name, sn.Given, dB)
		}
		m, _ := net.ParseMAC(n.mac)
		if script, err := l.in("curl", "-sS", "--fail", "http://"+serveServer+"/"+bootfs.ScriptName(m)); err != nil || !strings.Contains(string(script), dB) {
			t.Errorf("%s's script after the failed canary: %v: %s, want it to name %s", n.name, err, script, dB)
		}
	}

	// The status page, as a browser shows it.
	page := chromiumPage(t, l, "http://"+serveServer+"/")
	byName := map[string]map[string]string{}
	for _, row := range page.Nodes {
		byName[row["data-name"]] = row
	}
	for _, n := range nodes {
		row, ok := byName[n.name]
		if !ok {
			t.Errorf("status page has no row for %s: %v", n.name, page.Nodes)
			continue
		}
		t.Logf("page row %s: %v", n.name, row)
	}
	if row := byName[nodes[0].name]; row["result"] != records.ResultFail {
		t.Errorf("page row of %s: result %q, want %s (its last boot was the failing canary)", nodes[0].name, row["result"], records.ResultFail)
	}
	if row := byName[nodes[1].name]; row["result"] != records.ResultPass || row["data-booted"] != dB {
		t.Errorf("page row of %s: %v, want PASS on %s", nodes[1].name, row, dB)
	}
	red := false
	for _, g := range page.Groups {
		if g["data-name"] == "web" {
			red = strings.Contains(g["class"], "fail") && g["color"] == "rgb(187, 0, 0)" // #b00
			t.Logf("page group web: %v", g)
		}
	}
	if !red {
		t.Errorf("group web (failed) is not shown as failed on the page: %v", page.Groups)
	}

	// /metrics: promtool accepts it, and the boot counters are the boots.
	metrics, err := l.in("curl", "-sS", "--fail", "http://"+serveServer+serve.MetricsPath)
	if err != nil {
		t.Fatalf("/metrics: %v: %s", err, metrics)
	}
	if err := metricstest.Promtool(context.Background(), metrics); err != nil {
		t.Error(err)
	}
	values, err := metricstest.Values(metrics)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		digest, result string
		n              float64
	}{{dB, records.ResultPass, 2}, {dBad, records.ResultFail, 1}} {
		key := metricstest.Key("rambox_boots_total", map[string]string{"digest": want.digest, "result": want.result})
		if got := values[key]; got != want.n {
			t.Errorf("%s = %v, want %v", key, got, want.n)
		}
	}
}

// chromiumPage loads url in real headless Chromium inside the lab's
// namespace (where serve listens): this test binary runs again there, as
// TestChromiumInNetns, and hands back what the page showed. The
// screenshot is kept in the test artifacts.
func chromiumPage(t *testing.T, l *lab, url string) statustest.Page {
	t.Helper()
	out := filepath.Join(t.TempDir(), "page.json")
	argv := l.ns.Command(os.Args[0], "-test.run", "^TestChromiumInNetns$", "-test.count", "1")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "RAMBOX_CHROMIUM_URL="+url, "RAMBOX_CHROMIUM_OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium in the namespace: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var p statustest.Page
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(statustest.ArtifactDir(t, "fleet"), "status-page.png")
	if err := statustest.WritePNG(shot, p.PNG); err != nil {
		t.Error(err)
	}
	t.Logf("status page screenshot: %s (%d bytes)", shot, len(p.PNG))
	return p
}

// TestChromiumInNetns is chromiumPage's other half, run by it inside a
// namespace; on its own it has nothing to do.
func TestChromiumInNetns(t *testing.T) {
	url, out := os.Getenv("RAMBOX_CHROMIUM_URL"), os.Getenv("RAMBOX_CHROMIUM_OUT")
	if url == "" || out == "" {
		t.Skip("run by chromiumPage inside a network namespace")
	}
	p, err := statustest.Load(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFleetKill9: serve is killed with SIGKILL while four clients boot,
// once each has its kernel and initramfs, and started again on the same
// state: every client finishes (its kernel's DHCP and its report reach
// the new serve), and the record store holds everything recorded before
// the kill.
func TestFleetKill9(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	c := newCLI(t)
	ref, bundleFile := c.publishToFile(t, bundleDir, "oci:"+filepath.Join(t.TempDir(), "oci")+":kill9")
	inventory := writeServeInventory(t)
	l := startLab(t, c, bundleFile, inventory)
	d := ref[strings.LastIndex(ref, "@")+1:]
	clients := serveNodes[1:5]
	reports := make([]bool, len(clients))
	var wg sync.WaitGroup
	for i, n := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := l.boot(n, boot.FirmwareSeaBIOS, boot.NICROMiPXE)
			reports[i] = r != nil && r.Result() == records.ResultPass
		}()
	}
	initramfs := "path=/" + bootfs.BundlePath(strings.TrimPrefix(d, "sha256:"), bundle.Initramfs) + " "
	for deadline := time.Now().Add(180 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		all := true
		for _, n := range clients {
			all = all && logHas(l.log.String(), "client="+n.ip+":", initramfs, "status=200")
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every client loaded its initramfs within 3m:\n%s", l.log)
		}
	}
	killed := time.Now()
	if err := l.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	l.cmd.Wait()
	t.Logf("serve killed with SIGKILL at %s; starting it again", killed.Format(time.RFC3339Nano))
	before := l.log.String()
	l.log = &servetest.Log{}
	l.start(c, bundleFile, inventory, "full")
	wg.Wait()
	for i, ok := range reports {
		if !ok {
			t.Errorf("%s did not finish with a PASS after serve's restart", clients[i].name)
		}
	}
	// Every report reached the new serve.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		s, done := l.snapshot(), 0
		for _, n := range clients {
			if sn := nodeOf(s, n.name); sn.Booted == d && sn.Result == records.ResultPass {
				done++
			}
		}
		if done == len(clients) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart %d of %d clients are on record as booted:\n%+v", done, len(clients), s.Nodes)
		}
	}
	// Stop serve to read its store: everything from before the kill is there.
	l.cmd.Process.Signal(syscall.SIGTERM)
	l.cmd.Wait()
	l.cmd = &exec.Cmd{}
	store, err := records.Open(filepath.Join(l.state, serve.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, n := range clients {
		m, _ := net.ParseMAC(n.mac)
		h, err := store.History(m, 0)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, e := range h {
			if e.At.Before(killed) {
				kinds[e.Kind]++
			}
		}
		// Logged before the kill, so recorded before it too: the DHCP
		// exchange, the script, kernel and initramfs.
		if kinds[records.KindDHCP] == 0 || kinds[records.KindFile] < 3 || kinds[records.KindGiven] == 0 {
			t.Errorf("%s's history before the kill: %v, want its DHCP, its files (script, kernel, initramfs) and the digest given; serve's log before the kill:\n%s", n.name, kinds, before)
		}
		if kinds[records.KindReport] != 0 {
			t.Logf("%s reported before the kill (it was quicker than the others)", n.name)
		}
	}
}

// TestFleetRegistryDown: the registry is down when the config names a new
// digest. The group keeps serving its verified bundle (its kernel is still
// served, its nodes' scripts name it), and the status says why it did not
// switch, naming the registry. serve runs beside the registry on the
// host's loopback (no DHCP, no clients: nothing boots here).
func TestFleetRegistryDown(t *testing.T) {
	requireE2E(t)
	c := newCLI(t)
	reg := startRegistry(t)
	refA := c.publish(fakeBundle(t, "A"), reg.addr+"/rambox/fleet:a")
	refB := c.publish(fakeBundle(t, "B"), reg.addr+"/rambox/fleet:b")
	dA, dB := refA[strings.LastIndex(refA, "@")+1:], refB[strings.LastIndex(refB, "@")+1:]
	pub := filepath.Join(c.dir, "cosign.pub")
	config := filepath.Join(t.TempDir(), "serve.yaml")
	inventory := writeServeInventory(t)
	nodes := serveNodes[1:3]
	writeServeYAML(t, config, inventory, pub, refA, nodes)
	httpAddr := freeAddr(t)
	cmd := exec.Command(c.bin, "serve", "--config", config, "--state", t.TempDir(), "--dhcp", "off", "--http", httpAddr, "--tftp", servetest.FreeAddr(t, "udp"))
	log := &servetest.Log{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	l := &lab{t: t, log: log}
	l.waitLog("msg=serving", 60*time.Second)

	reg.kill9()
	writeServeYAML(t, config, inventory, pub, refB, nodes)
	l.waitLog("bundle not switched", 60*time.Second)
	get := func(p string) (int, string) {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + httpAddr + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get(status.APIPath)
	var s status.Snapshot
	if err := json.Unmarshal([]byte(body), &s); code != http.StatusOK || err != nil {
		t.Fatalf("status API: %d %v: %s", code, err, body)
	}
	host, _, _ := net.SplitHostPort(reg.addr)
	g := groupOf(s, "web")
	if g.State != serve.StateFailed || g.Serving != dA || g.Desired != dB || !strings.Contains(g.Reason, host) {
		t.Errorf("group web with the registry down: %+v, want failed, serving %s, desired %s, the reason naming %s", g, dA, dB, host)
	}
	t.Logf("group web: state %s, reason %q", g.State, g.Reason)
	if code, _ := get("/" + bootfs.BundlePath(strings.TrimPrefix(dA, "sha256:"), bundle.Kernel)); code != http.StatusOK {
		t.Errorf("A's kernel with the registry down: HTTP %d, want 200", code)
	}
	for _, n := range nodes {
		m, _ := net.ParseMAC(n.mac)
		if code, script := get("/" + bootfs.ScriptName(m)); code != http.StatusOK || !strings.Contains(script, dA) {
			t.Errorf("%s's script with the registry down: %d %q, want it to name %s", n.name, code, script, dA)
		}
	}
	if code, page := get("/"); code != http.StatusOK || !strings.Contains(page, "fail") {
		t.Errorf("status page: %d, want the failed group shown (class fail):\n%s", code, page)
	}
}
