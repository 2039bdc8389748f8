package dhcpload

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
)

// ClientNetns is a network namespace for the clients, joined to a bridge
// in the server's namespace by a veth pair. Its end has no address, as a
// booting box's NIC has none.
type ClientNetns struct {
	Name  string // for ip netns exec
	Iface string // the clients' veth end inside Name
	made  bool
}

var seq atomic.Int64

// NewClientNetns makes the namespace and plugs it into bridge (a bridge in
// serverNS). On error it has torn down what it made; otherwise the caller
// calls Close on every path. Deleting the namespace deletes both veth ends.
func NewClientNetns(ctx context.Context, serverNS, bridge string) (n *ClientNetns, err error) {
	id := fmt.Sprintf("%d-%d", os.Getpid(), seq.Add(1))
	// Interface names have 15 bytes at most: the pid (up to 7 digits)
	// and the sequence number keep them unique per process and run.
	n = &ClientNetns{Name: "rambox-dhcpload-" + id, Iface: "dlc" + strings.ReplaceAll(id, "-", "x")}
	host := "dls" + strings.ReplaceAll(id, "-", "x")
	defer func() {
		if err != nil {
			n.Close()
			n = nil
		}
	}()
	cmds := [][]string{
		{"ip", "netns", "add", n.Name},
		{"ip", "-n", n.Name, "link", "set", "lo", "up"},
		{"ip", "-n", serverNS, "link", "add", host, "type", "veth", "peer", "name", n.Iface, "netns", n.Name},
		{"ip", "-n", serverNS, "link", "set", host, "master", bridge},
		{"ip", "-n", serverNS, "link", "set", host, "up"},
		{"ip", "-n", n.Name, "link", "set", n.Iface, "up"},
	}
	for i, c := range cmds {
		if out, err := exec.CommandContext(ctx, c[0], c[1:]...).CombinedOutput(); err != nil {
			return n, fmt.Errorf("client netns: %s: %v: %s", strings.Join(c, " "), err, bytes.TrimSpace(out))
		}
		if i == 0 {
			n.made = true
		}
	}
	return n, nil
}

// Command returns argv prefixed to run inside the namespace.
func (n *ClientNetns) Command(argv ...string) []string {
	return append([]string{"ip", "netns", "exec", n.Name}, argv...)
}

// Close deletes the namespace, and with it the veth pair.
func (n *ClientNetns) Close() error {
	if !n.made {
		return nil
	}
	if out, err := exec.Command("ip", "netns", "del", n.Name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns del %s: %v: %s", n.Name, err, bytes.TrimSpace(out))
	}
	n.made = false
	return nil
}
