package main

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"rambox/serve/status"
)

func TestStatusCommand(t *testing.T) {
	const d = "sha256:0123456789ab0000000000000000000000000000000000000000000000000000"
	snap := status.Snapshot{
		Server:    "127.0.0.1",
		Generated: time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC),
		Groups:    []status.Group{{Name: "web", Serving: d, Desired: d, State: "serving"}},
		Nodes:     []status.Node{{Name: "pxe01", MAC: "52:54:00:00:00:01", Group: "web", Given: d, Booted: d, Result: "PASS", State: "booted"}},
	}
	srv := httptest.NewServer(status.Handler(status.SourceFunc(func() status.Snapshot { return snap })))
	defer srv.Close()

	out, err := run(t, t.TempDir(), nil, "status", "--server", srv.URL)
	if err != nil {
		t.Fatalf("rambox status: %v\n%s", err, out)
	}
	for _, want := range []string{"GROUP", "web", "serving", "sha256:0123456789ab", "pxe01", "PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("rambox status output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, d) {
		t.Errorf("rambox status shows the full digest, want it shortened:\n%s", out)
	}

	out, err = run(t, t.TempDir(), nil, "status", "--server", srv.URL, "--json")
	if err != nil {
		t.Fatalf("rambox status --json: %v\n%s", err, out)
	}
	var got status.Snapshot
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Nodes) != 1 || got.Nodes[0].Booted != d {
		t.Errorf("rambox status --json = %q (%v), want the snapshot", out, err)
	}

	// A server that is not there: the error names the URL, and the command
	// gives up within its timeout.
	start := time.Now()
	out, err = run(t, t.TempDir(), nil, "status", "--server", "http://127.0.0.1:1", "--timeout", "3s")
	if err == nil || !strings.Contains(out, "http://127.0.0.1:1/api/v1/status") {
		t.Errorf("rambox status against a closed port = %v, %q; want an error naming the URL", err, out)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("rambox status took %s, want it bounded by --timeout", time.Since(start))
	}
	if out, err := run(t, t.TempDir(), nil, "status"); err == nil {
		t.Errorf("rambox status without --server succeeded: %q", out)
	}
}
