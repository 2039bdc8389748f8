package boot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
func setupCommands(ns string, server netip.Prefix, ra bool) [][]string {
	in := func(args ...string) []string { return append([]string{"ip", "-n", ns}, args...) }
	cmds := [][]string{
		{"ip", "netns", "add", ns},
		in("link", "set", "lo", "up"),
		in("link", "add", bridgeDev, "type", "bridge", "forward_delay", "0"),
		in("addr", "add", server.String(), "dev", bridgeDev),
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

// Process is a server started in a Netns.
type Process struct {
	Name string
	cmd  *exec.Cmd
	out  *syncWriter // its stdout and stderr
	buf  *bytes.Buffer
	done chan error
	exit error // set when done has been read
	over bool
}

// Output is what the process has printed so far.
func (d *Process) Output() string {
	d.out.mu.Lock()
	defer d.out.mu.Unlock()
	return strings.TrimSpace(d.buf.String())
}

// exited reports whether the process has ended.
func (d *Process) exited() bool {
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

func (d *Process) stop() {
	if d.exited() {
		return
	}
	d.exit = stopProc(d.cmd, d.done, 3*time.Second)
	d.over = true
}

// Netns is a private network namespace for PXE boots: loopback, a bridge
// carrying the server's address (and, with RAs, a ULA whose prefix
// dnsmasq advertises, so that iPXE does not wait for IPv6
// autoconfiguration) and a tap port for QEMU. Nothing in it routes
// anywhere else: it has no other interface. Boot a client on it with
// Options.Netns; serve it with processes started by Start.
type Netns struct {
	name    string
	dir     string // temp files of the servers; removed by Close
	daemons []*Process
	log     func(format string, a ...any)
	created bool

	mu   sync.Mutex
	taps []bool // taps[i]: tap<i> is attached to a running QEMU
}

// NetnsOptions describe a namespace made by NewNetns.
type NetnsOptions struct {
	Server   netip.Prefix // the bridge's address and prefix length, e.g. 192.168.24.202/24
	NoRA     bool         // do not answer IPv6 router solicitations
	Progress io.Writer    // gets one line per step; may be nil
}

// NewNetns makes a namespace with no DHCP or TFTP server in it: the
// caller starts its own (Start) before booting a client on it
// (Options.Netns), and calls Close on every path. On error NewNetns has
// already torn down what it made.
func NewNetns(ctx context.Context, o NetnsOptions) (*Netns, error) {
	if !o.Server.IsValid() || !o.Server.Addr().Is4() {
		return nil, fmt.Errorf("netns server address %v: want an IPv4 address with its prefix length", o.Server)
	}
	return newNetns(ctx, o.Server, !o.NoRA, progressf(o.Progress))
}

// progressf logs "boot: ..." lines to w, or nowhere when w is nil.
func progressf(w io.Writer) func(string, ...any) {
	return func(format string, a ...any) {
		if w != nil {
			fmt.Fprintf(w, "boot: "+format+"\n", a...)
		}
	}
}

func newNetns(ctx context.Context, server netip.Prefix, ra bool, logf func(string, ...any)) (n *Netns, err error) {
	n = &Netns{name: newNetnsName(), log: logf}
	defer func() {
		if err != nil {
			n.Close()
			n = nil
		}
	}()
	if n.dir, err = os.MkdirTemp("", "rambox-boot-"); err != nil {
		return n, err
	}
	for i, c := range setupCommands(n.name, server, ra) {
		if out, err := exec.CommandContext(ctx, c[0], c[1:]...).CombinedOutput(); err != nil {
			return n, fmt.Errorf("%s: %v: %s", strings.Join(c, " "), err, bytes.TrimSpace(out))
		}
		if i == 0 {
			n.created = true
		}
	}
	n.log("netns %s: %s %s on %s, %s for QEMU", n.name, bridgeDev, server, bridgeDev, tapDev)
	if ra {
		d, err := n.Start("dnsmasq", dnsmasqArgv(n.dir)...)
		if err != nil {
			return n, err
		}
		if err := n.WaitFor(ctx, d, "started, version", 10*time.Second); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Name is the namespace's name, for `ip netns exec NAME` (see Command).
func (n *Netns) Name() string { return n.name }

// Bridge is the interface in the namespace that carries the server's
// address: the one a DHCP or TFTP server listens on.
func (n *Netns) Bridge() string { return bridgeDev }

// takeTap returns a bridge port no running QEMU holds: tap0, made with the
// namespace, or a new tap<i> for each client booted at once, so that
// several clients can boot on one bridge side by side. release gives it
// back for the next boot.
func (n *Netns) takeTap(ctx context.Context) (tap string, release func(), err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	i := 0
	for i < len(n.taps) && n.taps[i] {
		i++
	}
	tap = fmt.Sprintf("tap%d", i)
	if i == len(n.taps) {
		if i > 0 { // tap0 comes with the namespace
			in := func(args ...string) []string { return append([]string{"ip", "-n", n.name}, args...) }
			for _, c := range [][]string{
				in("tuntap", "add", "dev", tap, "mode", "tap"),
				in("link", "set", tap, "master", bridgeDev),
				in("link", "set", tap, "up"),
			} {
				if out, err := exec.CommandContext(ctx, c[0], c[1:]...).CombinedOutput(); err != nil {
					return "", nil, fmt.Errorf("%s: %v: %s", strings.Join(c, " "), err, bytes.TrimSpace(out))
				}
			}
		}
		n.taps = append(n.taps, false)
	}
	n.taps[i] = true
	return tap, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		n.taps[i] = false
	}, nil
}

// Command returns argv prefixed to run inside the namespace.
func (n *Netns) Command(argv ...string) []string { return netnsExec(n.name, argv) }

// startServers makes the namespace for p and starts the seed's own stack
// in it: dhcpd with the inventory's dhcpd.conf and tftpd-hpa serving
// root. On error it has already torn down what it made.
func startServers(ctx context.Context, p *plan, root string, logf func(string, ...any)) (n *Netns, err error) {
	n, err = newNetns(ctx, netip.PrefixFrom(p.nw.Server, p.nw.Prefix.Bits()), !p.NoRA, logf)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			n.Close()
			n = nil
		}
	}()
	conf, err := dhcpdConf(p.inv)
	if err != nil {
		return n, err
	}
	confFile, leases, pid := filepath.Join(n.dir, "dhcpd.conf"), filepath.Join(n.dir, "dhcpd.leases"), filepath.Join(n.dir, "dhcpd.pid")
	if err := os.WriteFile(confFile, conf, 0o644); err != nil {
		return n, err
	}
	if err := os.WriteFile(leases, nil, 0o644); err != nil {
		return n, err
	}
	dhcpd, err := n.Start("dhcpd", dhcpdArgv(confFile, leases, pid)...)
	if err != nil {
		return n, err
	}
	if err := n.WaitFor(ctx, dhcpd, "Server starting service", 10*time.Second); err != nil {
		return n, err
	}
	tftpd, err := n.Start("in.tftpd", tftpdArgv(p.nw.Server.String(), root)...)
	if err != nil {
		return n, err
	}
	if err := n.WaitUDP(ctx, tftpd, 69, 10*time.Second); err != nil {
		return n, err
	}
	names := make([]string, len(n.daemons))
	for i, d := range n.daemons {
		names[i] = fmt.Sprintf("%s (pid %d)", d.Name, d.cmd.Process.Pid)
	}
	n.log("netns %s: serving with %s", n.name, strings.Join(names, ", "))
	return n, nil
}

// Start runs argv inside the namespace, in a process group of its own,
// output kept (Output, Logs); Close stops it. name labels it in errors
// and logs.
func (n *Netns) Start(name string, argv ...string) (*Process, error) {
	d := &Process{Name: name, buf: &bytes.Buffer{}, done: make(chan error, 1)}
	d.out = &syncWriter{w: d.buf}
	cmd, err := startProc(netnsExec(n.name, argv), d.out, d.out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d.cmd = cmd
	go func() { d.done <- cmd.Wait() }()
	n.daemons = append(n.daemons, d)
	return d, nil
}

// WaitFor waits until d prints text, failing if it exits first.
func (n *Netns) WaitFor(ctx context.Context, d *Process, text string, limit time.Duration) error {
	return poll(ctx, d, limit, fmt.Sprintf("to print %q", text), func() bool { return strings.Contains(d.Output(), text) })
}

// WaitUDP waits until a UDP socket on port is bound in the namespace,
// failing if d exits first.
func (n *Netns) WaitUDP(ctx context.Context, d *Process, port int, limit time.Duration) error {
	want := fmt.Sprintf(":%04X ", port)
	return poll(ctx, d, limit, fmt.Sprintf("to bind UDP port %d", port), func() bool {
		out, err := exec.Command("ip", "netns", "exec", n.name, "cat", "/proc/net/udp").Output()
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

func poll(ctx context.Context, d *Process, limit time.Duration, what string, ready func() bool) error {
	deadline := time.Now().Add(limit)
	for {
		if ready() {
			return nil
		}
		if d.exited() {
			return fmt.Errorf("%s exited (%v) before it was ready:\n%s", d.Name, d.exit, d.Output())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not come up within %v (waiting %s):\n%s", d.Name, limit, what, d.Output())
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Close stops the processes started in the namespace (last started
// first), deletes the namespace (and with it the bridge and tap) and the
// temp files. It is safe to call on a partly built namespace.
func (n *Netns) Close() error {
	var errs []error
	for i := len(n.daemons) - 1; i >= 0; i-- {
		n.daemons[i].stop()
	}
	if n.created {
		if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ip netns del %s: %v: %s", n.name, err, bytes.TrimSpace(out)))
		} else {
			n.created = false
		}
	}
	if n.dir != "" {
		if err := os.RemoveAll(n.dir); err != nil {
			errs = append(errs, err)
		}
	}
	n.log("netns %s: torn down (%d servers stopped)", n.name, len(n.daemons))
	return errors.Join(errs...)
}

// Logs returns what each process printed, for a failed run's report.
func (n *Netns) Logs() string {
	var b strings.Builder
	for _, d := range n.daemons {
		if out := d.Output(); out != "" {
			fmt.Fprintf(&b, "--- %s\n%s\n", d.Name, out)
		}
	}
	return b.String()
}
