package boot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"rambox/pxe"
)

// Devices inside the namespace.
const (
	bridgeDev = "br0"
	tapDev    = "tap0"
	// raAddr is the bridge's IPv6 address: a ULA whose /64 the router
	// advertisements announce, so iPXE's IPv6 autoconfiguration ends at
	// once instead of timing out.
	raAddr = "fd00:72:62::1/64"
)

var nsSeq atomic.Int64

// newNetnsName is unique per process and run.
func newNetnsName() string {
	return fmt.Sprintf("rambox-boot-%d-%d", os.Getpid(), nsSeq.Add(1))
}

// setupCommands make the namespace: loopback, a bridge with the server's
// address (and the RA prefix's), and a tap port for QEMU. Nothing in it
// routes anywhere else: it has no other interface.
func setupCommands(ns string, nw *pxe.Network, ra bool) [][]string {
	in := func(args ...string) []string { return append([]string{"ip", "-n", ns}, args...) }
	cmds := [][]string{
		{"ip", "netns", "add", ns},
		in("link", "set", "lo", "up"),
		in("link", "add", bridgeDev, "type", "bridge", "forward_delay", "0"),
		in("addr", "add", fmt.Sprintf("%s/%d", nw.Server, nw.Prefix.Bits()), "dev", bridgeDev),
	}
	if ra {
		cmds = append(cmds, in("-6", "addr", "add", raAddr, "dev", bridgeDev, "nodad"))
	}
	return append(cmds,
		in("tuntap", "add", "dev", tapDev, "mode", "tap"),
		in("link", "set", tapDev, "master", bridgeDev),
		in("link", "set", tapDev, "up"),
		in("link", "set", bridgeDev, "up"),
	)
}

// dhcpdConf is `rambox dhcpd-conf`'s output for the inventory.
func dhcpdConf(inv *pxe.Inventory) ([]byte, error) {
	var b bytes.Buffer
	if err := pxe.WriteDhcpdConf(&b, inv); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// dhcpdArgv runs ISC dhcpd in the foreground, logging to stderr, on the
// bridge only.
func dhcpdArgv(conf, leases, pid string) []string {
	return []string{"dhcpd", "-d", "-4", "-cf", conf, "-lf", leases, "-pf", pid, bridgeDev}
}

// tftpdArgv runs tftpd-hpa in the foreground, chrooted into root,
// listening on the server's address only. It stays root: the root may sit
// below directories only root can enter (a test's temp dir).
func tftpdArgv(server, root string) []string {
	return []string{"in.tftpd", "--foreground", "--secure", "--user", "root", "--address", server + ":69", root}
}

// dnsmasqArgv answers router solicitations on the bridge with the prefix
// of its ULA address (stateless, no DHCPv6); no DNS, no DHCPv4, no
// configuration files read.
func dnsmasqArgv(dir string) []string {
	return []string{"dnsmasq", "--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null",
		"--port=0", "--no-resolv", "--no-hosts", "--user=root", "--group=root",
		"--interface=" + bridgeDev, "--enable-ra", "--dhcp-range=::,constructor:" + bridgeDev + ",ra-only",
		"--pid-file=" + filepath.Join(dir, "dnsmasq.pid"), "--dhcp-leasefile=" + filepath.Join(dir, "dnsmasq.leases")}
}

// netnsExec prefixes argv to run inside ns. `ip netns exec` execs the
// command, so the started process is argv[0] itself.
func netnsExec(ns string, argv []string) []string {
	return append([]string{"ip", "netns", "exec", ns}, argv...)
}

// daemon is a server process running in the namespace.
type daemon struct {
	name string
	cmd  *exec.Cmd
	out  *syncWriter // its stdout and stderr
	buf  *bytes.Buffer
	done chan error
	exit error // set when done has been read
	over bool
}

func (d *daemon) output() string {
	d.out.mu.Lock()
	defer d.out.mu.Unlock()
	return strings.TrimSpace(d.buf.String())
}

// exited reports whether the daemon has ended.
func (d *daemon) exited() bool {
	if d.over {
		return true
	}
	select {
	case d.exit = <-d.done:
		d.over = true
	default:
	}
	return d.over
}

func (d *daemon) stop() {
	if d.exited() {
		return
	}
	d.exit = stopProc(d.cmd, d.done, 3*time.Second)
	d.over = true
}

// netnsServer is the namespace and the servers in it.
type netnsServer struct {
	name    string
	dir     string // dhcpd.conf, leases, pid files
	daemons []*daemon
	log     func(format string, a ...any)
	created bool
}

// startNetns creates the namespace and starts dhcpd, tftpd (serving
// root) and, unless p.NoRA, dnsmasq's RA responder. On error it has
// already torn down what it made.
func startNetns(ctx context.Context, p *plan, root string, logf func(string, ...any)) (s *netnsServer, err error) {
	s = &netnsServer{name: newNetnsName(), log: logf}
	defer func() {
		if err != nil {
			s.Close()
			s = nil
		}
	}()
	if s.dir, err = os.MkdirTemp("", "rambox-boot-"); err != nil {
		return s, err
	}
	conf, err := dhcpdConf(p.inv)
	if err != nil {
		return s, err
	}
	confFile, leases, pid := filepath.Join(s.dir, "dhcpd.conf"), filepath.Join(s.dir, "dhcpd.leases"), filepath.Join(s.dir, "dhcpd.pid")
	if err := os.WriteFile(confFile, conf, 0o644); err != nil {
		return s, err
	}
	if err := os.WriteFile(leases, nil, 0o644); err != nil {
		return s, err
	}

	for i, c := range setupCommands(s.name, p.nw, !p.NoRA) {
		if out, err := exec.CommandContext(ctx, c[0], c[1:]...).CombinedOutput(); err != nil {
			return s, fmt.Errorf("%s: %v: %s", strings.Join(c, " "), err, bytes.TrimSpace(out))
		}
		if i == 0 {
			s.created = true
		}
	}
	s.log("netns %s: %s %s/%d on %s, %s for QEMU", s.name, bridgeDev, p.nw.Server, p.nw.Prefix.Bits(), bridgeDev, tapDev)

	dhcpd, err := s.start("dhcpd", dhcpdArgv(confFile, leases, pid))
	if err != nil {
		return s, err
	}
	if err := s.waitFor(ctx, dhcpd, "Server starting service", 10*time.Second); err != nil {
		return s, err
	}
	tftpd, err := s.start("in.tftpd", tftpdArgv(p.nw.Server.String(), root))
	if err != nil {
		return s, err
	}
	if err := s.waitUDP(ctx, tftpd, 69, 10*time.Second); err != nil {
		return s, err
	}
	if !p.NoRA {
		ra, err := s.start("dnsmasq", dnsmasqArgv(s.dir))
		if err != nil {
			return s, err
		}
		if err := s.waitFor(ctx, ra, "started, version", 10*time.Second); err != nil {
			return s, err
		}
	}
	names := make([]string, len(s.daemons))
	for i, d := range s.daemons {
		names[i] = fmt.Sprintf("%s (pid %d)", d.name, d.cmd.Process.Pid)
	}
	s.log("netns %s: serving with %s", s.name, strings.Join(names, ", "))
	return s, nil
}

func (s *netnsServer) start(name string, argv []string) (*daemon, error) {
	d := &daemon{name: name, buf: &bytes.Buffer{}, done: make(chan error, 1)}
	d.out = &syncWriter{w: d.buf}
	cmd, err := startProc(netnsExec(s.name, argv), d.out, d.out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d.cmd = cmd
	go func() { d.done <- cmd.Wait() }()
	s.daemons = append(s.daemons, d)
	return d, nil
}

// waitFor waits until d prints text, failing if it exits first.
func (s *netnsServer) waitFor(ctx context.Context, d *daemon, text string, limit time.Duration) error {
	return poll(ctx, d, limit, fmt.Sprintf("to print %q", text), func() bool { return strings.Contains(d.output(), text) })
}

// waitUDP waits until a UDP socket on port is bound in the namespace.
func (s *netnsServer) waitUDP(ctx context.Context, d *daemon, port int, limit time.Duration) error {
	want := fmt.Sprintf(":%04X ", port)
	return poll(ctx, d, limit, fmt.Sprintf("to bind UDP port %d", port), func() bool {
		out, err := exec.Command("ip", "netns", "exec", s.name, "cat", "/proc/net/udp").Output()
		if err != nil {
			return false
		}
		for _, line := range strings.Split(string(out), "\n")[1:] {
			if f := strings.Fields(line); len(f) > 1 && strings.HasSuffix(f[1]+" ", want) {
				return true
			}
		}
		return false
	})
}

func poll(ctx context.Context, d *daemon, limit time.Duration, what string, ready func() bool) error {
	deadline := time.Now().Add(limit)
	for {
		if ready() {
			return nil
		}
		if d.exited() {
			return fmt.Errorf("%s exited (%v) before it was ready:\n%s", d.name, d.exit, d.output())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not come up within %v (waiting %s):\n%s", d.name, limit, what, d.output())
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Close stops the servers (last started first), deletes the namespace
// (and with it the bridge and tap) and the temp files. It is safe to call
// on a partly built server.
func (s *netnsServer) Close() error {
	var errs []error
	for i := len(s.daemons) - 1; i >= 0; i-- {
		s.daemons[i].stop()
	}
	if s.created {
		if out, err := exec.Command("ip", "netns", "del", s.name).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ip netns del %s: %v: %s", s.name, err, bytes.TrimSpace(out)))
		} else {
			s.created = false
		}
	}
	if s.dir != "" {
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, err)
		}
	}
	s.log("netns %s: torn down (%d servers stopped)", s.name, len(s.daemons))
	return errors.Join(errs...)
}

// serverLogs returns what each server printed, for a failed run's report.
func (s *netnsServer) serverLogs() string {
	var b strings.Builder
	for _, d := range s.daemons {
		if out := d.output(); out != "" {
			fmt.Fprintf(&b, "--- %s\n%s\n", d.name, out)
		}
	}
	return b.String()
}
