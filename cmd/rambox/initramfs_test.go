package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func sha(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkout copies the repository's rootfs into a fresh directory, as a
// second clone in another place would have it.
func checkout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", "../../rootfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	return dir
}

// TestInitramfsAcrossProcesses builds the same inputs in separate
// processes that differ in GOMAXPROCS, working directory and umask: the
// parallel gzip must not make the bytes depend on scheduling.
func TestInitramfsAcrossProcesses(t *testing.T) {
	inputs := t.TempDir()
	busybox := filepath.Join(inputs, "busybox")
	script := filepath.Join(inputs, "simple.script")
	big := make([]byte, 5<<20)
	for i := range big {
		big[i] = byte(i * 7 % 251)
	}
	os.WriteFile(busybox, big, 0o755)
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	zoneinfo := filepath.Join(inputs, "zoneinfo")
	os.MkdirAll(filepath.Join(zoneinfo, "Europe"), 0o755)
	os.WriteFile(filepath.Join(zoneinfo, "Europe", "Berlin"), []byte("TZif"), 0o644)

	variants := []struct{ name, gomaxprocs, umask string }{
		{"one core", "1", "022"},
		{"two cores", "2", "077"},
		{"eight procs", "8", "002"},
	}
	var first string
	for _, v := range variants {
		dir := checkout(t)
		out := filepath.Join(dir, "initramfs.cpio.gz")
		cmd := exec.Command("sh", "-c", `umask "$1"; shift; exec "$@"`, "sh", v.umask, ramboxBin, "initramfs",
			"--rootfs", "rootfs", "--busybox", busybox, "--udhcpc-script", script,
			"--zoneinfo", zoneinfo, "--timezone", "Europe/Berlin", "-o", out)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+v.gomaxprocs, "SOURCE_DATE_EPOCH=1600000000")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", v.name, err, b)
		}
		got := sha(t, out)
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("%s: sha256 %s, want %s as in %s", v.name, got, first, variants[0].name)
		}
	}
}

func TestInitramfsErrors(t *testing.T) {
	dir := checkout(t)
	tests := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"no busybox", nil, []string{"initramfs", "--udhcpc-script", "/x"}, []string{"busybox is required"}},
		{"script not cached", []string{"RAMBOX_CACHE=" + t.TempDir()}, []string{"initramfs", "--busybox", "/bin/sh"},
			[]string{"no --udhcpc-script given", "busybox", "not in the source cache", "faeeb244"}},
		{"bad epoch", []string{"SOURCE_DATE_EPOCH=yesterday"}, []string{"initramfs", "--busybox", "/bin/sh", "--udhcpc-script", "/x"},
			[]string{`SOURCE_DATE_EPOCH="yesterday"`, "not a non-negative number"}},
		{"negative epoch", []string{"SOURCE_DATE_EPOCH=-5"}, []string{"initramfs", "--busybox", "/bin/sh", "--udhcpc-script", "/x"},
			[]string{`SOURCE_DATE_EPOCH="-5"`, "not a non-negative number"}},
		{"stray argument", nil, []string{"initramfs", "extra"}, []string{`unexpected argument "extra"`}},
		{"unknown command", nil, []string{"initramfsx"}, []string{`unknown command "initramfsx"`, "initramfs"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, dir, tc.env, tc.args...)
			if err == nil {
				t.Fatalf("rambox %v succeeded, want an error; output:\n%s", tc.args, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output %q lacks %q", out, w)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "initramfs.cpio.gz")); err == nil {
		t.Error("a failed run left initramfs.cpio.gz behind")
	}
}
