package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"rambox/bundle/bundletest"
)

// TestMirrorCommand: mirror prints the pinned DST ref as its one stdout
// line and the --signed-identity to pull it with on stderr; verify at the
// mirror accepts the ref with that identity. Bad arguments name SRC or DST.
func TestMirrorCommand(t *testing.T) {
	dir := t.TempDir()
	env := []string{"COSIGN_PASSWORD=pw"}
	srcLayout := filepath.Join(t.TempDir(), "src")
	out, err := run(t, dir, env, "publish", "--bundle", bundletest.Write(t, "kernel-mirror", "rw"), "--to", "oci:"+srcLayout+":latest",
		"--key", "cosign.key", "--source-url", "x", "--revision", "y")
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	src := lines[len(lines)-1]
	dstLayout := filepath.Join(t.TempDir(), "dst")

	cmd := exec.Command(ramboxBin, "mirror", src, "oci:"+dstLayout+":v1", "--key", "cosign.pub")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mirror: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	ref := strings.TrimSuffix(stdout.String(), "\n")
	digest := src[strings.Index(src, "@"):]
	if want := "oci:" + dstLayout + digest; ref != want {
		t.Errorf("mirror stdout = %q, want the one line %q", stdout.String(), want)
	}
	if want := "--signed-identity oci:" + srcLayout; !strings.Contains(stderr.String(), want) {
		t.Errorf("mirror stderr lacks %q:\n%s", want, stderr.String())
	}
	if out, err := run(t, dir, nil, "verify", ref, "--key", "cosign.pub", "--signed-identity", "oci:"+srcLayout); err != nil {
		t.Errorf("verify at the mirror: %v\n%s", err, out)
	}

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"mirror", "oci:" + srcLayout + ":latest", "oci:" + t.TempDir()}, "SRC oci:" + srcLayout + ":latest: ref has no digest"},
		{[]string{"mirror", src, "oci:" + dstLayout + "@sha256:" + strings.Repeat("0", 64)}, "DST oci:" + dstLayout + "@sha256:000"},
		{[]string{"mirror", src, "nohost"}, "DST: ref \"nohost\""},
		{[]string{"mirror", src}, "usage: rambox mirror"},
	}
	for _, tc := range bad {
		out, err := run(t, dir, nil, append(tc.args, "--key", "cosign.pub")...)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("rambox %s: %v\n%s\nwant an error naming %q", strings.Join(tc.args, " "), err, out, tc.want)
		}
	}
}
