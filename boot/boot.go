package boot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrTimeout is returned (wrapped) when QEMU had to be killed because the
// boot did not end within Options.Timeout.
var ErrTimeout = errors.New("boot timed out")

// Result is what a boot produced. Run returns it also with an error once
// QEMU has started, so a failed boot's log can be kept.
type Result struct {
	Log     []byte        // the raw serial log, nothing stripped
	Elapsed time.Duration // QEMU's start to its exit (or kill)
	Marks   []Mark        // milestones seen in the log, in order
	Stamps  []Stamp       // when each piece of Log arrived, in order
	Stderr  string        // what QEMU printed besides the serial log
}

// Run PXE-boots o.TFTPRoot in QEMU and waits for QEMU to exit by itself.
// It returns an error when the options are invalid, the servers cannot be
// set up, QEMU fails, the timeout passes, or ctx is cancelled; in every
// case what it started is stopped and the namespace deleted before it
// returns (a namespace of the caller's, Options.Netns, is left to its
// owner's Close).
func Run(ctx context.Context, o Options) (res *Result, err error) {
	p, err := o.plan()
	if err != nil {
		return nil, err
	}
	logf := progressf(p.Progress)
	root := p.TFTPRoot
	if len(p.AppendExtra) > 0 {
		view, err := makeView(root, p.AppendExtra)
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(view)
		root = view
		logf("serving a copy of %s with %q appended to its APPEND lines", p.TFTPRoot, strings.Join(p.AppendExtra, " "))
	}

	var vars string
	if _, template, ok := ovmfImages(p.Firmware); ok {
		dir, err := os.MkdirTemp("", "rambox-boot-ovmf-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		vars = filepath.Join(dir, filepath.Base(template))
		if err := copyFile(template, vars); err != nil {
			return nil, fmt.Errorf("--firmware %s: copying the variable store: %w", p.Firmware, err)
		}
	}

	// Servers start under ctx alone; the timeout counts from QEMU's start.
	var argv []string
	srv := p.Netns
	switch {
	case p.Net == NetUser:
		argv = append([]string{p.QEMU}, qemuArgs(p, userNetdev(root), vars)...)
	case srv == nil:
		if srv, err = startServers(ctx, p, root, logf); err != nil {
			return nil, err
		}
		defer func() {
			if cerr := srv.Close(); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}()
	}
	if srv != nil {
		tap, release, err := srv.takeTap(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
		argv = srv.Command(append([]string{p.QEMU}, qemuArgs(p, tapNetdev(tap), vars)...)...)
	}
	logf("%s (client %s, expecting %s)", strings.Join(argv, " "), p.mac, describeIP(p))

	qctx, cancel := context.WithTimeoutCause(ctx, p.Timeout, fmt.Errorf("%w: QEMU still running after %v, killed", ErrTimeout, p.Timeout))
	defer cancel()
	rec := newRecorder(p.Serial)
	elapsed, stderr, qerr := runQEMU(qctx, argv, rec)
	log, marks, stamps := rec.result()
	res = &Result{Log: log, Elapsed: elapsed, Marks: marks, Stamps: stamps, Stderr: stderr}
	switch {
	case qctx.Err() != nil:
		err = context.Cause(qctx)
	case qerr != nil:
		err = fmt.Errorf("%s: %w", p.QEMU, qerr)
		if s := strings.TrimSpace(stderr); s != "" {
			err = fmt.Errorf("%w\n%s", err, s)
		}
	}
	if err != nil && srv != nil {
		if logs := srv.Logs(); logs != "" {
			logf("server logs:\n%s", strings.TrimRight(logs, "\n"))
		}
	}
	return res, err
}

func describeIP(p *plan) string {
	if p.clientIP.IsValid() {
		return p.clientIP.String()
	}
	return "an address from the pool"
}

// FormatMarks renders milestones as "pxe-rom 1.2s, pxelinux 9.0s, ...".
func FormatMarks(marks []Mark) string {
	parts := make([]string, len(marks))
	for i, m := range marks {
		parts[i] = fmt.Sprintf("%s %.1fs", m.Name, m.At.Seconds())
	}
	return strings.Join(parts, ", ")
}
