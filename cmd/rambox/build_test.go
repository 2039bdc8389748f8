package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBuildBadInput covers the errors `rambox build` must give before it
// touches an engine: each names the thing at fault and what to do.
func TestBuildBadInput(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"unknown profile", nil, []string{"build", "--profile", "linux-9", "--toolchain-rootfs", empty},
			[]string{`unknown kernel profile "linux-9"`, "known: ", "linux-2.6.39", "linux-6.1"}},
		{"no toolchain", []string{"RAMBOX_CACHE=" + empty}, []string{"build"},
			[]string{"no toolchain", "just toolchain", "--toolchain-rootfs"}},
		{"not a toolchain", nil, []string{"build", "--toolchain-rootfs", empty}, []string{"has no usr/bin/make"}},
		{"unpinned image", nil, []string{"build", "--toolchain-image", "debian:bookworm"}, []string{"is not pinned"}},
		{"bad override", nil, []string{"build", "--source", "linux=/x"}, []string{"no @sha256:HEX"}},
		{"unknown source name", nil, []string{"build", "--source", "linx=/x@sha256:" + strings.Repeat("0", 64), "--toolchain-rootfs", empty},
			[]string{"--source linx: unknown source", "known: busybox, linux"}},
		{"bad epoch", []string{"SOURCE_DATE_EPOCH=yesterday"}, []string{"build"}, []string{`SOURCE_DATE_EPOCH="yesterday"`, "not a non-negative number"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, "../..", tc.env, tc.args...)
			if err == nil {
				t.Fatalf("rambox %v succeeded; output:\n%s", tc.args, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestBuildNoEngine runs a build whose inputs are all valid but with no
// engine reachable: the error must say how to start one. Stderr is not a
// terminal, so the stage that did run (fetch) has its one plain line, and
// no engine log is left behind, as no engine wrote one.
func TestBuildNoEngine(t *testing.T) {
	tc := t.TempDir()
	os.MkdirAll(tc+"/usr/bin", 0o755)
	os.WriteFile(tc+"/usr/bin/make", nil, 0o755)
	src := tc + "/source.tar"
	os.WriteFile(src, []byte("not really a tarball"), 0o644)
	sum := sha256.Sum256([]byte("not really a tarball"))
	digest := hex.EncodeToString(sum[:])
	outDir := filepath.Join(t.TempDir(), "out")
	out, err := run(t, "../..", []string{"RAMBOX_CACHE=" + t.TempDir(), "_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://" + tc + "/no.sock"},
		"build", "--profile", "linux-6.1", "--toolchain-rootfs", tc, "--out", outDir,
		"--source", "linux="+src+"@sha256:"+digest, "--source", "busybox="+src+"@sha256:"+digest)
	if err == nil {
		t.Fatalf("build succeeded without an engine:\n%s", out)
	}
	for _, w := range []string{"no Dagger engine", "just engine", tc + "/no.sock"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if fetched := regexp.MustCompile(`(?m)^rambox build: fetch +\d+\.\d s  \(done\)$`); !fetched.MatchString(out) {
		t.Errorf("output lacks the fetch stage's line %q:\n%s", fetched, out)
	}
	if _, err := os.Stat(outDir + ".engine.log"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a build that found no engine left %s.engine.log (%v)", outDir, err)
	}
}
