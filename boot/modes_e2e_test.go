package boot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rambox/bundle"
	"rambox/selftest"
	"rambox/tftproot"
)

// layOutCmdline installs the bundle in a new TFTP root whose only config,
// pxelinux.cfg/default, boots it with exactly cmdline (unlike layOut,
// which can only add words to the bundle's own command line).
func layOutCmdline(t *testing.T, bundleDir, cmdline string) string {
	t.Helper()
	root := t.TempDir()
	if _, err := tftproot.Install(root, readBundle(t, bundleDir), tftproot.Options{DefaultConfig: pxelinuxConfig(t, cmdline)}); err != nil {
		t.Fatal(err)
	}
	return root
}

// bundleCmdline returns the bundle's command line without the words in drop.
func bundleCmdline(t *testing.T, bundleDir string, drop ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundleDir, bundle.InfoFile))
	if err != nil {
		t.Fatal(err)
	}
	var info bundle.Info
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, w := range strings.Fields(info.KernelCmdline) {
		if !slices.Contains(drop, w) {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// errMarkerSeen is the cause a markerWatcher cancels the run with.
var errMarkerSeen = errors.New("marker seen in the serial log; QEMU stopped by the test")

// markerWatcher is an Options.Serial that cancels the run a little after
// the cleaned serial log first contains marker: the boots these tests
// make end at an interactive shell, which never exits by itself.
type markerWatcher struct {
	mu     sync.Mutex
	buf    []byte
	marker []byte
	grace  time.Duration
	cancel context.CancelCauseFunc
	seen   bool
}

func (w *markerWatcher) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	if !w.seen {
		// Only the tail can hold a marker that was not there before.
		tail := w.buf[max(0, len(w.buf)-len(b)-4096):]
		if bytes.Contains(selftest.Clean(tail), w.marker) {
			w.seen = true
			time.AfterFunc(w.grace, func() { w.cancel(errMarkerSeen) })
		}
	}
	return len(b), nil
}

// TestBootModes PXE-boots the bundle with the command line words /init
// acts on besides rambox.selftest, and checks from the serial log that it
// took the path each asks for and ended in the shell it announces.
func TestBootModes(t *testing.T) {
	bundleDir := requireBootE2E(t)
	withoutRambox := bundleCmdline(t, bundleDir, "rambox")
	withRambox := bundleCmdline(t, bundleDir) // the bundle's, rambox and all
	if !strings.Contains(" "+withRambox+" ", " rambox ") {
		t.Fatalf("bundle command line %q lacks the word rambox", withRambox)
	}
	t.Cleanup(func() { checkNothingLeft(t) })

	tests := []struct {
		name    string
		cmdline string
		want    []string // in this order, each on a line containing it
		notWant []string
	}{
		// shell stops /init before root= or init= matter: a plain shell,
		// announced without a failure.
		{"shell", withoutRambox + " shell", []string{"Launching shell..."},
			[]string{"Failed to mount root", "Failed to execute", "No init found", "Keeping the RAM root"}},
		// Busybox's --install -s links /sbin/init to its init applet, so
		// the default init= exists; without an inittab it asks for Enter.
		{"rambox-default-init", withRambox, []string{
			"Keeping the RAM root (rambox) and executing '/sbin/init'...",
			"Please press Enter to activate this console.",
		}, []string{"Launching shell..."}},
		// A quoted value is one word, as the kernel splits it: the word
		// shell inside it is no request for a shell.
		{"quoted-shell-value", withRambox + ` foo="a shell b"`, []string{
			"Keeping the RAM root (rambox) and executing '/sbin/init'...",
			"Please press Enter to activate this console.",
		}, []string{"Launching shell..."}},
		{"rambox-missing-init", withRambox + " init=/sbin/nonexistent", []string{
			"No init found on the ramdisk at '/sbin/nonexistent'... Launching shell...",
		}, []string{"Keeping the RAM root"}},
		{"bogus-root", withoutRambox + " root=/dev/bogus", []string{
			"Failed to mount root '/dev/bogus' at /newroot... Launching shell...",
		}, []string{"Keeping the RAM root", "switching to root"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := layOutCmdline(t, bundleDir, tc.cmdline)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			last := tc.want[len(tc.want)-1]
			w := &markerWatcher{marker: []byte(last), grace: 3 * time.Second, cancel: cancel}
			res, err := Run(ctx, Options{TFTPRoot: root, Net: NetUser, Timeout: 120 * time.Second,
				Serial: w, Progress: testWriter{t}})
			if res == nil {
				t.Fatalf("Run = %v and no result", err)
			}
			t.Logf("QEMU ran %.1fs: %s", res.Elapsed.Seconds(), FormatMarks(res.Marks))
			if !errors.Is(err, errMarkerSeen) {
				keepLog(t, res)
				t.Fatalf("Run = %v, want it stopped after %q was seen", err, last)
			}
			log := string(selftest.Clean(res.Log))
			if !strings.Contains(log, tc.cmdline) {
				t.Errorf("the serial log does not show the command line %q", tc.cmdline)
			}
			lines := strings.Split(log, "\n")
			i := 0
			for _, want := range tc.want {
				for i < len(lines) && !strings.Contains(lines[i], want) {
					i++
				}
				if i == len(lines) {
					t.Errorf("no line %q (after the ones before it) in the serial log", want)
					break
				}
			}
			if _, err := selftest.Parse(res.Log); !errors.Is(err, selftest.ErrNoBlock) {
				t.Errorf("selftest.Parse = %v, want %v", err, selftest.ErrNoBlock)
			}
			for _, bad := range append([]string{"Kernel panic", "syntax error", "RAMBOX-SELFTEST"}, tc.notWant...) {
				if strings.Contains(log, bad) {
					t.Errorf("serial log contains %q", bad)
				}
			}
			if t.Failed() {
				keepLog(t, res)
			}
		})
	}
}
