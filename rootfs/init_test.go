// Package rootfs_test checks /init's shell code under the busybox the box
// runs (busybox-static on the build host: ci/deps.sh installs it).
package rootfs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// initFile is /init; RAMBOX_TEST_INIT points the tests at another copy
// (an older one, to see them fail).
func initFile() string {
	if p := os.Getenv("RAMBOX_TEST_INIT"); p != "" {
		return p
	}
	return "tree/init"
}

func busybox(t *testing.T) string {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("busybox is not installed (ci/deps.sh installs busybox-static)")
	return ""
}

// cmdlineSection is the part of /init that reads the kernel command line:
// from after launch_shell() to the selftest's kv(), reading its command
// line from $RAMBOX_TEST_CMDLINE instead of /proc/cmdline.
func cmdlineSection(t *testing.T) string {
	b, err := os.ReadFile(initFile())
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\nlaunch_shell() {")
	if i >= 0 {
		if j := strings.Index(s[i:], "\n}\n"); j >= 0 {
			i += j + len("\n}\n")
		} else {
			i = -1
		}
	}
	end := strings.Index(s, "\n# kv prints")
	if i < 0 || end < i || !strings.Contains(s[i:end], "/proc/cmdline") {
		t.Fatalf("%s: no command line section between launch_shell() and kv(); update the test", initFile())
	}
	return strings.ReplaceAll(s[i:end], "/proc/cmdline", `"$RAMBOX_TEST_CMDLINE"`)
}

// runSection runs the section under busybox sh with cmdline as the
// kernel's, in a directory holding files whose names a glob would turn
// into words /init acts on, then runs after.
func runSection(t *testing.T, cmdline, after string) string {
	dir := t.TempDir()
	for _, name := range []string{"shell", "rambox", "rambox.selftest", "init=glob", "root=glob"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cf := filepath.Join(dir, "cmdline")
	if err := os.WriteFile(cf, []byte(cmdline+"\n"), 0o644); err != nil { // the kernel ends it with a newline
		t.Fatal(err)
	}
	cmd := exec.Command(busybox(t), "sh", "-c", cmdlineSection(t)+"\n"+after)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RAMBOX_TEST_CMDLINE="+cf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("busybox sh: %v\n%s", err, out)
	}
	return string(out)
}

// TestCmdlineDecisions: what /init does for a command line.
func TestCmdlineDecisions(t *testing.T) {
	const show = `echo "shell=$want_shell ram=$keep_ram selftest=$selftest init=$init root=$root"`
	const none = "init=/sbin/init root=/dev/hda1"
	tests := []struct{ cmdline, want string }{
		{"rw ip=dhcp rambox", "shell= ram=1 selftest= " + none},
		{"rw shell", "shell=1 ram= selftest= " + none},
		{`rw foo="a shell b" rambox`, "shell= ram=1 selftest= " + none},
		{`foo="rambox shell rambox.selftest init=/x root=/y"`, "shell= ram= selftest= " + none},
		{`foo="unterminated shell rambox`, "shell= ram= selftest= " + none},
		{"*", "shell= ram= selftest= " + none},
		{"rw * rambox", "shell= ram=1 selftest= " + none},
		{"?????", "shell= ram= selftest= " + none},
		{"init=* root=*", "shell= ram= selftest= init=* root=*"},
		{"rambox.selftest rw", "shell= ram= selftest=1 " + none},
		{"shellx xshell rambox.x", "shell= ram= selftest= " + none},
		{"root=/dev/sda1 init=/bin/sh", "shell= ram= selftest= init=/bin/sh root=/dev/sda1"},
		{`init="/sbin/my init" rambox`, "shell= ram=1 selftest= init=/sbin/my init root=/dev/hda1"},
		{`"shell"`, "shell=1 ram= selftest= " + none}, // the kernel drops the quotes of a quoted word
		{"rw\tshell", "shell=1 ram= selftest= " + none},
		{"", "shell= ram= selftest= " + none},
	}
	for _, tc := range tests {
		if got := strings.TrimSpace(runSection(t, tc.cmdline, show)); got != tc.want {
			t.Errorf("/init with cmdline %q: %q, want %q", tc.cmdline, got, tc.want)
		}
	}
}

// TestCmdlineReportWords: the boot report's URL and digest, as serve puts
// them on the command line.
func TestCmdlineReportWords(t *testing.T) {
	const show = `echo "report=$report bundle=$bundle selftest=$selftest"`
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct{ cmdline, want string }{
		{"rambox.selftest rambox.report=http://10.0.2.2:8080/api/v1/report rambox.bundle=" + d,
			"report=http://10.0.2.2:8080/api/v1/report bundle=" + d + " selftest=1"},
		{`rambox.report="http://h/r?a=b&c=d" x`, "report=http://h/r?a=b&c=d bundle= selftest="},
		{"rambox.reportx=1 xrambox.bundle=2 rambox.bundle", "report= bundle= selftest="},
		{`foo="rambox.report=http://evil/ rambox.bundle=x"`, "report= bundle= selftest="},
		{"rambox.bundle=a rambox.bundle=" + d, "report= bundle=" + d + " selftest="}, // the last one wins, as for init=
		{"", "report= bundle= selftest="},
	}
	for _, tc := range tests {
		if got := strings.TrimSpace(runSection(t, tc.cmdline, show)); got != tc.want {
			t.Errorf("/init with cmdline %q: %q, want %q", tc.cmdline, got, tc.want)
		}
	}
}

// TestCmdlineWords: the words cmdline_words gives, as the kernel's
// next_arg() would split them.
func TestCmdlineWords(t *testing.T) {
	tests := []struct{ cmdline, want string }{
		{"rw ip=dhcp rambox", "[rw][ip=dhcp][rambox]"},
		{"  rw   rambox  ", "[rw][rambox]"},
		{"rw\t\trambox\r", "[rw][rambox]"},
		{`foo="a shell b"`, "[foo=a shell b]"},
		{`foo="a  b" bar`, "[foo=a  b][bar]"},
		{`"quoted word" x`, "[quoted word][x]"},
		{`"a=b c"`, "[a=b c]"},
		{`a"b c"d`, `[a"b c"d]`},
		{`foo="open`, "[foo=open]"},
		{`foo="open shell`, "[foo=open shell]"},
		{`foo=""`, "[foo=]"},
		{`x=a=b`, "[x=a=b]"},
		{"* ? [a]", "[*][?][[a]]"},
		{"shell", "[shell]"},
		{"", ""},
	}
	for _, tc := range tests {
		got := runSection(t, "", `show() { printf '[%s]' "$1"; }; cmdline_words '`+strings.ReplaceAll(tc.cmdline, "'", `'\''`)+`' show`)
		if got != tc.want {
			t.Errorf("cmdline_words(%q) = %q, want %q", tc.cmdline, got, tc.want)
		}
	}
}
