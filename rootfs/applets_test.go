package rootfs_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"rambox/sources"
)

// busybox.config is trimmed to what the box runs (issue 13): these tests
// fail, naming the command and the script, when a script calls something
// the config leaves out, so the box never meets "not found" at boot.

const configFile = "busybox/busybox.config"

// seedToolset is the seed's basic toolset: what an operator at the box's
// shell could use on the seed's box, kept whether or not a script calls it.
var seedToolset = []string{
	// files and text
	"sh", "ls", "cp", "mv", "cat", "grep", "sed", "awk", "vi",
	// system
	"mount", "umount", "free", "du", "df", "ps", "dmesg", "lsmod",
	// network
	"ifconfig", "ip", "route", "ping", "udhcpc", "wget",
	// misc
	"hostname", "switch_root", "mdev", "reboot",
}

// ashBuiltins are the commands ash runs itself, and the option each needs
// ("" for none): those are not applets, but the config must still have the
// option, or ash looks them up in PATH.
var ashBuiltins = map[string]string{
	".": "", ":": "", "break": "", "cd": "", "continue": "", "eval": "",
	"exec": "", "exit": "", "export": "", "false": "", "hash": "",
	"local": "", "pwd": "", "read": "", "readonly": "", "return": "",
	"set": "", "shift": "", "times": "", "trap": "", "true": "",
	"type": "", "ulimit": "", "umask": "", "unset": "", "wait": "",
	"[": "ASH_TEST", "test": "ASH_TEST", "echo": "ASH_ECHO",
	"printf": "ASH_PRINTF", "command": "ASH_CMDCMD", "let": "FEATURE_SH_MATH",
	"kill": "ASH_JOB_CONTROL", "jobs": "ASH_JOB_CONTROL",
	"getopts": "ASH_GETOPTS", "alias": "ASH_ALIAS",
}

// features are the options the scripts' command lines depend on beyond
// the applet itself, with what needs them.
var features = []struct{ symbol, why string }{
	{"STATIC", "the initramfs has no shared libraries"},
	{"BUSYBOX", "init runs `busybox --install -s`"},
	{"FEATURE_INSTALLER", "init runs `busybox --install -s`"},
	{"LONG_OPTS", "wget --post-data"},
	{"SH_IS_ASH", "/bin/sh is busybox"},
	{"FEATURE_SH_MATH", "init's $((t1 - t0)) and simple.script's $((metric++))"},
	{"ASH_JOB_CONTROL", "the console shell init launches"},
	{"FEATURE_EDITING", "line editing in the console shell"},
	{"FEATURE_MOUNT_FSTAB", "init's `mount -a` reads /etc/fstab"},
	{"FEATURE_MOUNT_FLAGS", "fstab's nosuid,nodev,noexec"},
	{"FEATURE_UMOUNT_ALL", "init's `umount -a` before switch_root"},
	{"FEATURE_MDEV_CONF", "/etc/mdev.conf"},
	{"FEATURE_IFCONFIG_STATUS", "the selftest reads `ifconfig eth0`'s inet addr"},
	{"FEATURE_FANCY_PING", "the selftest's `ping -c 3 -A -W 2` and its packets received line"},
	{"FEATURE_WGET_LONG_OPTIONS", "the report's wget --post-data"},
	{"FEATURE_WGET_TIMEOUT", "the report's wget -T 3"},
	{"FEATURE_IP_ADDRESS", "simple.script's ip addr add/flush"},
	{"FEATURE_IP_LINK", "simple.script's ip link set"},
	{"FEATURE_IP_ROUTE", "simple.script's ip route add"},
	{"FEATURE_READLINK_FOLLOW", "simple.script's readlink -f"},
	{"FEATURE_DU_DEFAULT_BLOCKSIZE_1K", "the selftest's du -sxk"},
	{"FEATURE_LSMOD_PRETTY_2_6_OUTPUT", "lsmod on 2.6+ kernels"},
}

// appletSymbol is the config option that builds an applet.
func appletSymbol(name string) string {
	switch name {
	case "sh":
		return "SH_IS_ASH"
	case "[":
		return "TEST1"
	case "[[":
		return "TEST2"
	}
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// enabled reads the CONFIG_X=y lines of a busybox .config.
func enabled(t *testing.T) map[string]bool {
	f, err := os.Open(configFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	on := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.HasPrefix(k, "CONFIG_") && v == "y" {
			on[strings.TrimPrefix(k, "CONFIG_")] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return on
}

// script is a shell script the box runs.
type script struct {
	name string // as the box has it
	body string
}

// boxScripts are the scripts the box runs: the rootfs's own and the
// udhcpc event script, read from the pinned busybox source in the cache
// (ci/deps.sh fills it), as `rambox initramfs` reads it.
func boxScripts(t *testing.T) []script {
	var out []script
	for _, f := range []struct{ name, path string }{
		{"/init", initFile()},
		{"/bin/renew_ip", "tree/bin/renew_ip"},
		{"/etc/profile", "tree/etc/profile"},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, script{f.name, string(b)})
	}
	pinFile := filepath.Join("busybox", "sources.json")
	pin, err := sources.LoadPin(pinFile)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := sources.DefaultCache().Verified(pin)
	if err != nil {
		t.Fatalf("the busybox source %s is not in the cache (ci/deps.sh fetches it): %v", pin.File, err)
	}
	body, err := sources.ReadMember(archive, "examples/udhcp/simple.script")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, script{"/bin/simple.script", string(body)})
}

// TestScriptCommandsInBusybox: every command a rootfs script runs is an
// applet or an ash builtin of busybox.config.
func TestScriptCommandsInBusybox(t *testing.T) {
	on := enabled(t)
	for _, s := range boxScripts(t) {
		calls, funcs := scriptCommands(s.body)
		if len(calls) == 0 {
			t.Errorf("%s: no commands found; the extractor is broken", s.name)
		}
		isFunc := map[string]bool{}
		for _, f := range funcs {
			isFunc[f] = true
		}
		seen := map[string]bool{}
		for _, c := range calls {
			if isFunc[c.Name] || seen[c.Name] {
				continue
			}
			seen[c.Name] = true
			if sym, builtin := ashBuiltins[c.Name]; builtin {
				if sym != "" && !on[sym] {
					t.Errorf("%s:%d calls %s, an ash builtin only with CONFIG_%s=y, which %s lacks",
						s.name, c.Line, c.Name, sym, configFile)
				}
				continue
			}
			if sym := appletSymbol(c.Name); !on[sym] {
				t.Errorf("%s:%d calls %s, but %s lacks CONFIG_%s=y", s.name, c.Line, c.Name, configFile, sym)
			}
		}
		names := make([]string, 0, len(seen))
		for n := range seen {
			names = append(names, n)
		}
		sort.Strings(names)
		t.Logf("%s runs: %s", s.name, strings.Join(names, " "))
	}
}

// TestSeedToolsetInBusybox: the seed's toolset is all there.
func TestSeedToolsetInBusybox(t *testing.T) {
	on := enabled(t)
	for _, a := range seedToolset {
		if sym := appletSymbol(a); !on[sym] {
			t.Errorf("seed toolset: %s lacks CONFIG_%s=y (%s)", configFile, sym, a)
		}
	}
}

// TestBuildRequiredAppletsInBusybox: the applets stages/scripts/busybox.sh
// checks for after the build are in the config, so this test fails before
// a build does.
func TestBuildRequiredAppletsInBusybox(t *testing.T) {
	b, err := os.ReadFile("../stages/scripts/busybox.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)REQUIRED_APPLETS="([^"]*)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("stages/scripts/busybox.sh: no REQUIRED_APPLETS; update the test")
	}
	on := enabled(t)
	for _, a := range strings.Fields(string(m[1])) {
		if sym := appletSymbol(a); a != "ash" && !on[sym] || a == "ash" && !on["ASH"] {
			t.Errorf("busybox.sh requires %s, but %s lacks CONFIG_%s=y", a, configFile, sym)
		}
	}
}

// TestBusyboxFeatures: the options the scripts' command lines need.
func TestBusyboxFeatures(t *testing.T) {
	on := enabled(t)
	for _, f := range features {
		if !on[f.symbol] {
			t.Errorf("%s lacks CONFIG_%s=y, needed for %s", configFile, f.symbol, f.why)
		}
	}
}

func TestScriptCommands(t *testing.T) {
	for _, tt := range []struct {
		src   string
		calls string // space-separated
		funcs string
	}{
		{"ls -l /", "ls", ""},
		{"a | b && c || d; e & f", "a b c d e f", ""},
		{"x=1 y=$(z) cmd arg", "z cmd", ""},
		{"x=$(a | b -c 'd | e')", "a b", ""},
		{`echo "$(uname -r) $(du -sxk / | cut -f1)"`, "uname du cut echo", ""},
		{"echo `date`", "date echo", ""},
		{"exec switch_root /newroot \"$init\"", "exec switch_root", ""},
		{`exec "$init"`, "exec", ""},
		{"bb=/bin/busybox\n$bb mkdir -p /dev\n$bb --install -s", "busybox mkdir busybox", ""},
		{`"$2" "$word"`, "", ""},
		{"f() { awk 1; }\nf", "awk f", "f"},
		{"if [ -e x ]; then grep a b; elif true; then :; else sed p; fi", "[ grep true : sed", ""},
		{"while read -r a b; do n=$((n + 1)); done < /proc/mounts", "read", ""},
		{"for i in ls cat; do ping $i; done", "ping", ""},
		{"case $x in\n\ta | b) mount ;;\n\t*) umount ;;\nesac\nsync", "mount umount sync", ""},
		{"case $w in '\"'*) w=${w#?} ;; esac; tr", "tr", ""},
		{"route -n 2>/dev/null | awk '$1 == \"0\" { print $2; exit }'", "route awk", ""},
		{"> \"$tmpfile\"\n: > $f", ":", ""},
		{"# a comment: rm -rf /\nwc -l # rm", "wc", ""},
		{"command -v ip >/dev/null", "command", ""},
		{"x=${a%\"${a#?}\"} ; b", "b", ""},
		{"[ -n \"$1\" ] || { echo x; exit 1; }", "[ echo exit", ""},
		{"/sbin/mdev -s", "mdev", ""},
		{"kv uptime \"$((t1 - t0))\"", "kv", ""},
	} {
		calls, funcs := scriptCommands(tt.src)
		var names []string
		for _, c := range calls {
			names = append(names, c.Name)
		}
		if got := strings.Join(names, " "); got != tt.calls {
			t.Errorf("scriptCommands(%q) calls = %q, want %q", tt.src, got, tt.calls)
		}
		if got := strings.Join(funcs, " "); got != tt.funcs {
			t.Errorf("scriptCommands(%q) funcs = %q, want %q", tt.src, got, tt.funcs)
		}
	}
}

func TestScriptCommandsLines(t *testing.T) {
	calls, _ := scriptCommands("a\n\nb \\\n  arg\nc \"multi\nline\" $(d)\ne")
	want := []call{{"a", 1}, {"b", 3}, {"c", 5}, {"d", 6}, {"e", 7}}
	if len(calls) != len(want) {
		t.Fatalf("calls = %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d = %v, want %v", i, calls[i], want[i])
		}
	}
}
