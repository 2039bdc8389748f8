package initramfs

import (
	"errors"
	"strings"
	"testing"

	"rambox/newc"
)

func TestParseManifest(t *testing.T) {
	list := `# comment
dir   /dev 0755 0 0
nod   /dev/console 0600 0 0 c 5 1
dir   /bin 0555 0 0
file  /bin/busybox ${BUSYBOX} 0755 0 0
slink /bin/sh busybox 0777 0 0
dir   /var 0755 0 0
dir   /var/www 0755 33 33
pipe  /var/fifo 0600 0 0
`
	got, err := ParseManifest(strings.NewReader(list), "test.list", map[string]string{"BUSYBOX": "/opt/bb"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Line: 2, Name: "/dev", Mode: newc.TypeDir | 0o755},
		{Line: 3, Name: "/dev/console", Mode: newc.TypeChar | 0o600, Major: 5, Minor: 1},
		{Line: 4, Name: "/bin", Mode: newc.TypeDir | 0o555},
		{Line: 5, Name: "/bin/busybox", Mode: newc.TypeReg | 0o755, Location: "/opt/bb"},
		{Line: 6, Name: "/bin/sh", Mode: newc.TypeSymlink | 0o777, Target: "busybox"},
		{Line: 7, Name: "/var", Mode: newc.TypeDir | 0o755},
		{Line: 8, Name: "/var/www", Mode: newc.TypeDir | 0o755, UID: 33, GID: 33},
		{Line: 9, Name: "/var/fifo", Mode: newc.TypeFIFO | 0o600},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseManifestErrors(t *testing.T) {
	tests := []struct {
		line  string
		field string // the LineError's Field; "" for the line as a whole
		msg   string
	}{
		{"fil /x x 0644 0 0", "type", `unknown entry type "fil"`},
		{"dir /x 0755 0", "", "dir takes 4 fields"},
		{"dir /x 0958 0 0", "mode", `"0958" is not an octal`},
		{"dir /x 0755 root 0", "uid", `"root" is not a number`},
		{"dir /x 0755 0 -1", "gid", `"-1" is not a number`},
		{"dir x 0755 0 0", "name", "absolute, clean path"},
		{"dir /x/../y 0755 0 0", "name", "absolute, clean path"},
		{"nod /n 0600 0 0 p 1 3", "dev_type", "neither c nor b"},
		{"nod /n 0600 0 0 c one 3", "maj", `"one" is not a device number`},
		{"file /f ${NOPE}/f 0644 0 0", "location", "unknown variable ${NOPE}"},
		{"file /f f 0644 0 0 2", "hard links", "not supported"},
		{"dir /a/b 0755 0 0", "name", "parent directory /a of /a/b is not declared"},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			list := "# header\n\n" + tc.line + "\n"
			_, err := ParseManifest(strings.NewReader(list), "rootfs.list", nil)
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("ParseManifest(%q) = %v, want a *LineError", tc.line, err)
			}
			if le.Line != 3 || le.Field != tc.field || le.File != "rootfs.list" {
				t.Errorf("error at %s:%d field %q, want rootfs.list:3 field %q", le.File, le.Line, le.Field, tc.field)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "rootfs.list:3: ") {
				t.Errorf("error = %q, want it to start with rootfs.list:3: and mention %q", err, tc.msg)
			}
		})
	}
}

func TestParseManifestDuplicate(t *testing.T) {
	_, err := ParseManifest(strings.NewReader("dir /x 0755 0 0\ndir /x 0700 0 0\n"), "l", nil)
	if err == nil || !strings.Contains(err.Error(), "l:2: field name: /x is already declared on line 1") {
		t.Errorf("error = %v, want a duplicate on line 2 pointing at line 1", err)
	}
}

func TestParseManifestReportsEveryBadLine(t *testing.T) {
	_, err := ParseManifest(strings.NewReader("dir /a 07x5 0 0\ndir /b 0755 0 0\nbogus\n"), "l", nil)
	for _, want := range []string{"l:1: field mode", "l:3: field type"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to contain %q", err, want)
		}
	}
}
