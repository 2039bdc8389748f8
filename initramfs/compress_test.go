package initramfs

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCompressions builds the archive with each compression twice and
// checks the two are the same bytes, that the format's own tool (the one a
// kernel's decoder agrees with) decodes it to the uncompressed archive,
// and, for xz, that the check is CRC32 as lib/xz demands.
func TestCompressions(t *testing.T) {
	in := makeInputs(t)
	o := Options{Rootfs: "../rootfs", Busybox: in.busybox, UdhcpcScript: in.script,
		Timezone: DefaultTimezone, Zoneinfo: in.zoneinfo, Epoch: 1700000000}
	entries, bodies := loadForTest(t, o)
	var raw bytes.Buffer
	must(t, WriteCPIO(&raw, entries, bodies, o.Epoch))
	tools := map[Compression][]string{Gzip: {"gzip", "-dc"}, XZ: {"xz", "-dc"}, Zstd: {"zstd", "-dc"}}
	for _, c := range Compressions {
		o.Compression = c
		out := filepath.Join(t.TempDir(), "initramfs")
		must(t, Build(o, out))
		a, _ := os.ReadFile(out)
		must(t, Build(o, out))
		b, _ := os.ReadFile(out)
		if digest(a) != digest(b) {
			t.Errorf("%s: two builds differ: %s, %s", c, digest(a), digest(b))
		}
		tool := tools[c]
		if _, err := exec.LookPath(tool[0]); err != nil {
			t.Logf("%s: %s not installed, decode not checked", c, tool[0])
			continue
		}
		got, err := exec.Command(tool[0], append(tool[1:], out)...).Output()
		if err != nil {
			t.Errorf("%s: %s %s: %v", c, tool[0], out, err)
		} else if !bytes.Equal(got, raw.Bytes()) {
			t.Errorf("%s: decoded %d B, want the %d B archive", c, len(got), raw.Len())
		}
		// xz stream header: magic (6), flags 00 01 = CRC32.
		if c == XZ && (len(a) < 8 || a[6] != 0 || a[7] != 1) {
			t.Errorf("xz stream flags = % x, want 00 01 (CRC32)", a[6:8])
		}
	}
}

func loadForTest(t *testing.T, o Options) ([]Entry, map[string][]byte) {
	t.Helper()
	tz := filepath.Join(t.TempDir(), "tz")
	must(t, os.WriteFile(tz, []byte(o.Timezone+"\n"), 0o644))
	manifest := filepath.Join(o.Rootfs, ManifestName)
	entries, err := ParseManifestFile(manifest, map[string]string{
		"BUSYBOX": o.Busybox, "UDHCPC_SCRIPT": o.UdhcpcScript,
		"LOCALTIME": filepath.Join(o.Zoneinfo, o.Timezone), "TIMEZONE_FILE": tz})
	must(t, err)
	bodies, err := ReadBodies(entries, manifest)
	must(t, err)
	return entries, bodies
}

func TestParseCompression(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Compression
		err  error
	}{
		{"", Gzip, nil}, {"gzip", Gzip, nil}, {"xz", XZ, nil}, {"zstd", Zstd, nil},
		{"bzip2", "", ErrUnknownCompression},
	} {
		got, err := ParseCompression(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("ParseCompression(%q) = %q, %v, want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}
