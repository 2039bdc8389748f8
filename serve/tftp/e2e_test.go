package tftp_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rambox/bundle"
	"rambox/serve/bootfs"
	"rambox/serve/bootfs/bootfstest"
	"rambox/tftproot"
)

// requireClients gates the tests that run real TFTP clients: RAMBOX_E2E=1,
// and then tftp-hpa's tftp and a curl that speaks tftp:// must be there
// (ci/deps.sh installs them); a missing one fails the test.
func requireClients(t *testing.T) {
	t.Helper()
	if os.Getenv("RAMBOX_E2E") != "1" {
		t.Skip("end-to-end test: set RAMBOX_E2E=1 (just test does)")
	}
	for _, tool := range []string{"tftp", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s: %v (ci/deps.sh installs tftp-hpa and curl)", tool, err)
		}
	}
	out, err := exec.Command("curl", "-V").Output()
	if err != nil || !bytes.Contains(out, []byte(" tftp")) {
		t.Fatalf("curl -V = %q, %v: want a curl that lists tftp", out, err)
	}
}

// run runs a client with a bound on its time, in dir.
func run(t *testing.T, dir, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// exitCode is a finished command's exit status; -1 if it did not exit.
func exitCode(err error) int {
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// TestRealClients: tftp-hpa and curl get files byte-identical to the
// View (curl asks for blksize and tsize, tftp-hpa for neither), and every refused
// request ends in a TFTP error with the server still serving.
func TestRealClients(t *testing.T) {
	requireClients(t)
	var cur bootfs.Current
	l := bootfstest.Loaders(t)
	inv := bootfstest.Inventory(t, false)
	v, err := bootfs.New(bootfs.One(bootfstest.Fetched(strings.Repeat("kernel A ", 20000)), inv), inv, l, bootfs.Options{HTTPBase: bootfstest.HTTPBase})
	if err != nil {
		t.Fatal(err)
	}
	cur.Store(v)
	addr := start(t, &cur)
	host, port, _ := strings.Cut(addr, ":")
	url := "tftp://" + addr + "/"
	kernel := bootfs.BundlePath(v.Digests()[0].Encoded(), bundle.Kernel)
	want, _ := fs.ReadFile(v.FS(), kernel)

	// A symlink planted after New, beside the loaders the View was read
	// from, and one in a directory the View never saw.
	if err := os.Symlink("/etc/passwd", filepath.Join(l.Dirs[0], "planted")); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	if err := os.Symlink("/etc/passwd", filepath.Join(elsewhere, "passwd-link")); err != nil {
		t.Fatal(err)
	}

	good := func(what string) {
		t.Helper()
		dir := t.TempDir()
		for _, blksize := range []string{"512", "1468"} {
			out, err := run(t, dir, "curl", "-sS", "--max-time", "20", "--tftp-blksize", blksize, "-o", "got", url+kernel)
			got, _ := os.ReadFile(filepath.Join(dir, "got"))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: curl --tftp-blksize %s %s = %d bytes, %v %s; want the View's %d bytes", what, blksize, kernel, len(got), err, out, len(want))
			}
		}
		out, err := run(t, dir, "tftp", "-v", host, port, "-m", "binary", "-c", "get", kernel, "got-hpa")
		got, _ := os.ReadFile(filepath.Join(dir, "got-hpa"))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: tftp get %s = %d bytes, %v %s; want the View's %d bytes", what, kernel, len(got), err, out, len(want))
		}
	}
	good("first")

	// curl's exit status names the TFTP error: 68 file not found, 69
	// access violation, 71 illegal operation.
	refused := []struct {
		what, name string
		curl       int
	}{
		{"traversal", "../x", 69},
		{"traversal into the root", "bundles/../" + tftproot.BootFile, 69},
		{"an absolute name outside the View", "/etc/passwd", 68},
		{"a doubled leading slash", "//" + tftproot.BootFile, 69},
		{"a symlink planted beside the loaders", "planted", 68},
		{"a symlink in a directory not in the View", "passwd-link", 68},
		{"a name not in the View", "etc/passwd", 68},
	}
	for _, tc := range refused {
		dir := t.TempDir()
		// --path-as-is: curl would otherwise squash ../ itself. A
		// second "/" makes curl send a leading "/".
		out, err := run(t, dir, "curl", "-sS", "--path-as-is", "--max-time", "20", "-o", "got", url+tc.name)
		if got, _ := os.ReadFile(filepath.Join(dir, "got")); exitCode(err) != tc.curl || len(got) > 0 {
			t.Errorf("curl get %s (%q) = %v, %q, %d bytes; want exit status %d, no bytes", tc.what, tc.name, err, out, len(got), tc.curl)
		}
		out, _ = run(t, dir, "tftp", host, port, "-m", "binary", "-c", "get", tc.name, "got-hpa")
		if got, _ := os.ReadFile(filepath.Join(dir, "got-hpa")); len(got) > 0 || !strings.Contains(out, "Error code") {
			t.Errorf("tftp get %s (%q) = %q, %d bytes; want an Error code, no bytes", tc.what, tc.name, out, len(got))
		}
	}

	// A put (WRQ), from each client.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "upload"), []byte("evil"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, dir, "curl", "-sS", "--max-time", "20", "-T", "upload", url+tftproot.BootFile); exitCode(err) != 71 {
		t.Errorf("curl put %s = %v, %q; want exit status 71, illegal TFTP operation", tftproot.BootFile, err, out)
	}
	if out, _ := run(t, dir, "tftp", host, port, "-m", "binary", "-c", "put", "upload", tftproot.BootFile); !strings.Contains(out, "Error code") {
		t.Errorf("tftp put %s = %q; want an Error code", tftproot.BootFile, out)
	}
	if got, _ := fs.ReadFile(v.FS(), tftproot.BootFile); string(got) != "loader "+tftproot.BootFile {
		t.Errorf("after the puts, %s = %q", tftproot.BootFile, got)
	}
	good("after the refusals")
}
