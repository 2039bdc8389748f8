package status_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rambox/serve/status"
	"rambox/serve/status/statustest"
)

// requireE2E gates the browser test: RAMBOX_E2E=1, and then a missing
// chromium is a failure, not a skip.
func requireE2E(t *testing.T) {
	t.Helper()
	if os.Getenv("RAMBOX_E2E") != "1" {
		t.Skip("end-to-end test: set RAMBOX_E2E=1 (needs Debian's chromium)")
	}
	if _, err := statustest.Chromium(); err != nil {
		t.Fatalf("RAMBOX_E2E=1, but %v", err)
	}
}

const (
	digA = "sha256:a1a1a1a1a1a1b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
	digB = "sha256:c3c3c3c3c3c3d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4"
	digC = "sha256:e5e5e5e5e5e5f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6"
)

// browserSnapshot: 3 groups (one under canary, one failed) and 5 nodes.
func browserSnapshot() status.Snapshot {
	now := time.Now().UTC().Truncate(time.Second)
	ago := func(s int) time.Time { return now.Add(-time.Duration(s) * time.Second) }
	return status.Snapshot{
		Server:    "127.0.0.1",
		Generated: now,
		Groups: []status.Group{
			{Name: "web", Serving: digA, Desired: digA, Previous: digC, State: "serving"},
			{Name: "batch", Serving: digA, Canary: digB, Desired: digB, Previous: digA, State: "canary", CanaryNodes: []string{"pxe03"}},
			{Name: "db", Serving: digA, Desired: digC, Previous: digA, State: status.StateFailed, Reason: "verify " + status.Short(digC) + ": no signature by the trusted key"},
		},
		Nodes: []status.Node{
			{Name: "pxe01", MAC: "52:54:00:00:00:01", IP: "10.0.0.11", Group: "web", Given: digA, Booted: digA, Result: "PASS", State: "booted", LastDHCP: ago(40), LastFile: ago(35), LastFileName: "initramfs.cpio.gz", LastReport: ago(30), BootTime: 9400 * time.Millisecond},
			{Name: "pxe02", MAC: "52:54:00:00:00:02", IP: "10.0.0.12", Group: "web", Given: digA, Booted: digA, Result: "PASS", State: "booted", LastDHCP: ago(41), LastReport: ago(31), BootTime: 9700 * time.Millisecond},
			{Name: "pxe03", MAC: "52:54:00:00:00:03", IP: "10.0.0.13", Group: "batch", Given: digB, Booted: digB, Result: "FAIL", State: "failed", LastDHCP: ago(20), LastReport: ago(8), BootTime: 11 * time.Second},
			{Name: "pxe04", MAC: "52:54:00:00:00:04", IP: "10.0.0.14", Group: "batch", Given: digA, State: "loading", LastDHCP: ago(3), LastFile: ago(1), LastFileName: "bzImage"},
			{Name: "pxe05", MAC: "52:54:00:00:00:05", Group: "db", Given: digA, Booted: digC, Result: "PASS", State: "flagged", LastReport: ago(5), Flag: "reported " + status.Short(digC) + ", was given " + status.Short(digA)},
		},
	}
}

func TestStatusPageInChromium(t *testing.T) {
	requireE2E(t)
	snap := browserSnapshot()
	srv := httptest.NewServer(status.Handler(status.SourceFunc(func() status.Snapshot { return snap })))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	page, err := statustest.Load(ctx, srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(statustest.ArtifactDir(t, "status"), "status-page.png")
	if err := statustest.WritePNG(shot, page.PNG); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot kept at %s (%d bytes)", shot, len(page.PNG))
	if len(page.PNG) < 8 || string(page.PNG[1:4]) != "PNG" {
		t.Errorf("screenshot is not a PNG")
	}
	if page.Title != "rambox 127.0.0.1" {
		t.Errorf("title = %q, want %q", page.Title, "rambox 127.0.0.1")
	}

	if len(page.Nodes) != len(snap.Nodes) {
		t.Fatalf("page shows %d node rows, want %d: %v", len(page.Nodes), len(snap.Nodes), page.Nodes)
	}
	for i, n := range snap.Nodes {
		row := page.Nodes[i]
		wantFail := n.Result == "FAIL" || n.State == "failed"
		for _, c := range []struct{ key, want string }{
			{"data-name", n.Name},
			{"name", n.Name},
			{"group", n.Group},
			{"mac", n.MAC},
			{"state", n.State},
			{"result", dashed(n.Result)},
			{"given", dashed(status.Short(n.Given))},
			{"title:given", n.Given},
			{"booted", dashed(status.Short(n.Booted))},
			{"data-booted", n.Booted},
			{"boot-time", status.BootTime(n.BootTime)},
			{"flag", n.Flag},
		} {
			if got := row[c.key]; got != c.want {
				t.Errorf("node row %d [%s] = %q, want %q", i, c.key, got, c.want)
			}
		}
		if got := hasClass(row["class"], "fail"); got != wantFail {
			t.Errorf("node %s row class %q: fail = %v, want %v", n.Name, row["class"], got, wantFail)
		}
	}

	if len(page.Groups) != len(snap.Groups) {
		t.Fatalf("page shows %d group rows, want %d", len(page.Groups), len(snap.Groups))
	}
	for i, g := range snap.Groups {
		row := page.Groups[i]
		for _, c := range []struct{ key, want string }{
			{"name", g.Name},
			{"state", g.State},
			{"serving", status.Short(g.Serving)},
			{"title:serving", g.Serving},
			{"canary", dashed(status.Short(g.Canary))},
			{"desired", status.Short(g.Desired)},
			{"reason", g.Reason},
		} {
			if got := row[c.key]; got != c.want {
				t.Errorf("group row %d [%s] = %q, want %q", i, c.key, got, c.want)
			}
		}
		if got, want := hasClass(row["class"], "fail"), g.State == status.StateFailed; got != want {
			t.Errorf("group %s row class %q: fail = %v, want %v", g.Name, row["class"], got, want)
		}
	}
	// Red is what the browser computes, not only a class name.
	if c := page.Groups[2]["color"]; c != "rgb(187, 0, 0)" {
		t.Errorf("failed group row's color = %q, want rgb(187, 0, 0)", c)
	}
	if c := page.Groups[0]["color"]; c == "rgb(187, 0, 0)" {
		t.Errorf("serving group's row is red")
	}
}

func dashed(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func hasClass(classes, c string) bool {
	for _, x := range strings.Fields(classes) {
		if x == c {
			return true
		}
	}
	return false
}
