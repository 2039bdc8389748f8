package initramfs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"rambox/newc"
)

// inputs makes the build inputs a test needs besides the rootfs: a
// stand-in busybox big enough to span several gzip blocks, a udhcpc
// script and a zoneinfo directory.
type inputs struct{ busybox, script, zoneinfo string }

func makeInputs(t *testing.T) inputs {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	bb := make([]byte, 3<<20+17)
	for i := range bb {
		bb[i] = byte(rng.IntN(16)) // compressible, but not trivially
	}
	in := inputs{
		busybox:  filepath.Join(dir, "busybox"),
		script:   filepath.Join(dir, "simple.script"),
		zoneinfo: filepath.Join(dir, "zoneinfo"),
	}
	must(t, os.WriteFile(in.busybox, bb, 0o755))
	must(t, os.WriteFile(in.script, []byte("#!/bin/sh\necho udhcpc event $1\n"), 0o755))
	must(t, os.MkdirAll(filepath.Join(in.zoneinfo, "America"), 0o755))
	must(t, os.WriteFile(filepath.Join(in.zoneinfo, "America", "New_York"), []byte("TZif2 stand-in"), 0o644))
	return in
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// copyRootfs copies the repository's rootfs/ to a new directory, giving
// every file perm&^mask and the given mtime, as a checkout made with
// another umask at another time would.
func copyRootfs(t *testing.T, mask fs.FileMode, mtime time.Time) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "checkout", "rootfs")
	err := filepath.WalkDir("../rootfs", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../rootfs", p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o777&^mask)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, b, 0o777&^mask); err != nil {
			return err
		}
		if err := os.Chmod(target, 0o777&^mask); err != nil {
			return err
		}
		return os.Chtimes(target, mtime, mtime)
	})
	must(t, err)
	return dst
}

func build(t *testing.T, rootfs string, in inputs) (string, []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "initramfs.cpio.gz")
	o := Options{Rootfs: rootfs, Busybox: in.busybox, UdhcpcScript: in.script,
		Timezone: DefaultTimezone, Zoneinfo: in.zoneinfo, Epoch: 1700000000}
	must(t, Build(o, out))
	b, err := os.ReadFile(out)
	must(t, err)
	return out, b
}

func digest(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestBuildIsReproducible(t *testing.T) {
	in := makeInputs(t)
	_, want := build(t, "../rootfs", in)
	variants := map[string]string{
		"umask 022, old mtimes": copyRootfs(t, 0o022, time.Unix(1, 0)),
		"umask 077, now":        copyRootfs(t, 0o077, time.Now()),
		"umask 002, future":     copyRootfs(t, 0o002, time.Now().Add(1000*time.Hour)),
	}
	for name, rootfs := range variants {
		if _, got := build(t, rootfs, in); digest(got) != digest(want) {
			t.Errorf("%s: sha256 %s, want %s (the checkout's modes, mtimes or path leaked into the archive)", name, digest(got), digest(want))
		}
	}
}

// TestGzipHeader checks the member header carries nothing of the build:
// no name (FLG.FNAME clear), mtime 0.
func TestGzipHeader(t *testing.T) {
	_, b := build(t, "../rootfs", makeInputs(t))
	if len(b) < 10 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("not a gzip stream: % x", b[:10])
	}
	if flg := b[3]; flg != 0 {
		t.Errorf("FLG = %#x, want 0 (no name, comment or extra field)", flg)
	}
	if mtime := b[4:8]; !bytes.Equal(mtime, []byte{0, 0, 0, 0}) {
		t.Errorf("MTIME = % x, want 00 00 00 00", mtime)
	}
}

func TestBuildDependsOnInputs(t *testing.T) {
	in := makeInputs(t)
	_, base := build(t, "../rootfs", in)
	o := Options{Rootfs: "../rootfs", Busybox: in.busybox, UdhcpcScript: in.script,
		Timezone: DefaultTimezone, Zoneinfo: in.zoneinfo, Epoch: 1700000001}
	out := filepath.Join(t.TempDir(), "x.gz")
	must(t, Build(o, out))
	other, _ := os.ReadFile(out)
	if digest(other) == digest(base) {
		t.Error("a different epoch gave the same archive: the epoch is not reaching the headers")
	}
}

// gnuList runs the real GNU cpio over the archive and returns its -tv lines.
func gnuList(t *testing.T, gz string) []string {
	t.Helper()
	for _, tool := range []string{"cpio", "gzip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (just deps installs it): %v", tool, err)
		}
	}
	if out, err := exec.Command("gzip", "-t", gz).CombinedOutput(); err != nil {
		t.Fatalf("gzip -t %s: %v\n%s", gz, err, out)
	}
	cmd := exec.Command("sh", "-c", `gzip -dc "$1" | cpio -itv --quiet`, "sh", gz)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -itv: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// lsMode renders a mode the way ls and cpio -tv do ("drwxrwxrwt").
func lsMode(m uint32) string {
	types := map[uint32]byte{newc.TypeDir: 'd', newc.TypeReg: '-', newc.TypeSymlink: 'l',
		newc.TypeChar: 'c', newc.TypeBlock: 'b', newc.TypeFIFO: 'p', newc.TypeSocket: 's'}
	b := []byte{types[m&newc.TypeMask]}
	for i, c := range "rwxrwxrwx" {
		if m&(1<<(8-i)) != 0 {
			b = append(b, byte(c))
		} else {
			b = append(b, '-')
		}
	}
	for _, s := range []struct {
		bit uint32
		pos int
		set byte
	}{{0o4000, 3, 's'}, {0o2000, 6, 's'}, {0o1000, 9, 't'}} {
		if m&s.bit != 0 {
			if b[s.pos] == 'x' {
				b[s.pos] = s.set
			} else {
				b[s.pos] = s.set - 'a' + 'A'
			}
		}
	}
	return string(b)
}

var cpioLine = regexp.MustCompile(`^(\S{10})\s+(\d+)\s+(\S+)\s+(\S+)\s+(?:(\d+),\s*(\d+)|(\d+))\s+\w{3}\s+\d+\s+[\d:]+\s+(\S+)(?: -> (\S+))?$`)

func TestGNUCpioListsTheManifest(t *testing.T) {
	in := makeInputs(t)
	gz, _ := build(t, "../rootfs", in)
	entries, err := ParseManifestFile("../rootfs/"+ManifestName, map[string]string{
		"BUSYBOX": "b", "UDHCPC_SCRIPT": "s", "LOCALTIME": "l", "TIMEZONE_FILE": "z"})
	must(t, err)
	byName := map[string]Entry{}
	for _, e := range entries {
		byName[strings.TrimPrefix(e.Name, "/")] = e
	}
	lines := gnuList(t, gz)
	if len(lines) != len(entries) {
		t.Errorf("cpio lists %d entries, the manifest has %d", len(lines), len(entries))
	}
	owners := map[uint32]string{0: "root"}
	for _, line := range lines {
		m := cpioLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("cannot read cpio line %q", line)
			continue
		}
		name := m[8]
		e, ok := byName[name]
		if !ok {
			t.Errorf("cpio lists %q, which the manifest does not declare", name)
			continue
		}
		if want := lsMode(e.Mode); m[1] != want {
			t.Errorf("%s: mode %s, want %s", name, m[1], want)
		}
		if want := owners[e.UID]; want != "" && m[3] != want {
			t.Errorf("%s: owner %s, want %s", name, m[3], want)
		}
		if e.Mode&newc.TypeMask == newc.TypeChar {
			if got, want := m[5]+","+m[6], fmt.Sprintf("%d,%d", e.Major, e.Minor); got != want {
				t.Errorf("%s: device %s, want %s", name, got, want)
			}
		}
		if e.Target != "" && m[9] != e.Target {
			t.Errorf("%s: link target %q, want %q", name, m[9], e.Target)
		}
	}
	for _, dev := range []string{"dev/console", "dev/null"} {
		if _, ok := byName[dev]; !ok {
			t.Errorf("manifest lacks %s", dev)
		}
	}
}

func TestExtractionRoundTrip(t *testing.T) {
	in := makeInputs(t)
	gz, _ := build(t, "../rootfs", in)
	dir := t.TempDir()
	// Device nodes need root to create; the bodies are what this checks.
	cmd := exec.Command("sh", "-c", `gzip -dc "$1" | cpio -id --quiet --no-absolute-filenames --nonmatching 'dev/*'`, "sh", gz)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio -id: %v\n%s", err, out)
	}
	want := map[string]string{
		"bin/busybox":       in.busybox,
		"bin/simple.script": in.script,
		"etc/localtime":     filepath.Join(in.zoneinfo, "America/New_York"),
		"init":              "../rootfs/tree/init",
		"etc/fstab":         "../rootfs/tree/etc/fstab",
		"bin/renew_ip":      "../rootfs/tree/bin/renew_ip",
	}
	for name, src := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		must(t, err)
		exp, err := os.ReadFile(src)
		must(t, err)
		if !bytes.Equal(got, exp) {
			t.Errorf("extracted %s differs from its source %s", name, src)
		}
	}
	if tz, _ := os.ReadFile(filepath.Join(dir, "etc/timezone")); string(tz) != DefaultTimezone+"\n" {
		t.Errorf("etc/timezone = %q, want %q", tz, DefaultTimezone+"\n")
	}
	if target, err := os.Readlink(filepath.Join(dir, "var/run")); err != nil || target != "../run" {
		t.Errorf("var/run -> %q (%v), want ../run", target, err)
	}
}

// TestEveryTreeFileIsShipped catches a file added to rootfs/tree but not
// to the manifest, which would silently stay out of the archive.
func TestEveryTreeFileIsShipped(t *testing.T) {
	entries, err := ParseManifestFile("../rootfs/"+ManifestName, map[string]string{
		"BUSYBOX": "b", "UDHCPC_SCRIPT": "s", "LOCALTIME": "l", "TIMEZONE_FILE": "z"})
	must(t, err)
	shipped := map[string]bool{}
	for _, e := range entries {
		shipped[filepath.Clean(e.Location)] = true
	}
	filepath.WalkDir("../rootfs/tree", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !shipped[filepath.Clean(p)] {
			t.Errorf("%s is in the tree but no manifest line ships it", p)
		}
		return err
	})
}

func TestBuildErrorsLeaveNoOutput(t *testing.T) {
	in := makeInputs(t)
	badList := func(content string) string {
		dir := t.TempDir()
		must(t, os.WriteFile(filepath.Join(dir, ManifestName), []byte(content), 0o644))
		return dir
	}
	tests := []struct {
		name   string
		rootfs string
		busy   string
		want   []string
	}{
		{"malformed line", badList("dir /a 0755 0 0\ndir /b 0755 zero 0\n"), in.busybox, []string{ManifestName + ":2: field uid"}},
		{"missing source", badList("dir /bin 0755 0 0\nfile /bin/busybox ${BUSYBOX} 0755 0 0\n"), "/nonexistent/busybox",
			[]string{ManifestName + ":2: field location", "/nonexistent/busybox"}},
		{"missing tree file", badList("file /init tree/init 0755 0 0\n"), in.busybox, []string{":1: field location", "tree/init"}},
		{"no manifest", t.TempDir(), in.busybox, []string{ManifestName}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			outDir := t.TempDir()
			out := filepath.Join(outDir, "initramfs.cpio.gz")
			o := Options{Rootfs: tc.rootfs, Busybox: tc.busy, UdhcpcScript: in.script,
				Timezone: DefaultTimezone, Zoneinfo: in.zoneinfo}
			err := Build(o, out)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Build error = %v, want it to mention %q", err, w)
				}
			}
			if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
				t.Errorf("output directory holds %v after a failed build, want nothing", ents)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	err := Options{Timezone: "../../etc/passwd", Epoch: -1}.Validate()
	for _, w := range []string{"rootfs is required", "busybox is required", "udhcpc script is required", "zoneinfo is required", "epoch -1", `timezone "../../etc/passwd"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want it to mention %q", err, w)
		}
	}
}

func TestReproducibleOrderAndLinks(t *testing.T) {
	entries := []Entry{
		{Name: "/usr/bin", Mode: newc.TypeDir | 0o555},
		{Name: "/usr", Mode: newc.TypeDir | 0o755},
		{Name: "/usr-local", Mode: newc.TypeReg | 0o644},
		{Name: "/usr/sbin", Mode: newc.TypeDir | 0o555},
		{Name: "/a", Mode: newc.TypeSymlink | 0o777, Target: "usr"},
	}
	recs := reproducible(entries, 42, nil)
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%s ino=%d nlink=%d mtime=%d size=%d", r.hdr.Name, r.hdr.Ino, r.hdr.NLink, r.hdr.MTime, r.hdr.Size))
	}
	want := []string{
		"a ino=1 nlink=1 mtime=42 size=3",
		"usr ino=2 nlink=4 mtime=42 size=0",
		"usr/bin ino=3 nlink=2 mtime=42 size=0",
		"usr/sbin ino=4 nlink=2 mtime=42 size=0",
		"usr-local ino=5 nlink=1 mtime=42 size=0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
