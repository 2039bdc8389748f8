package serve

import (
	"log/slog"
	"net"
	"net/netip"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"

	"rambox/bundle"
	"rambox/serve/bootfs"
	"rambox/serve/dhcp"
	"rambox/serve/metrics"
	"rambox/serve/records"
	"rambox/serve/status"
	"rambox/tftproot"
)

// observer records what each client did (DHCP, files, boot reports) in
// the store and the metrics, and answers the status page from them and
// the fleet. It maps a client's address to its MAC by the inventory's
// fixed addresses and by the addresses DHCP handed out.
type observer struct {
	store   *records.Store
	metrics *metrics.Metrics
	fleet   *fleet
	rec     *reconciler
	log     *slog.Logger
	server  string // the status page's name for this server

	mu     sync.Mutex
	leases map[netip.Addr]net.HardwareAddr // handed out by this server's DHCP
}

// nodeName is the inventory name of mac, "" for a client not in it.
func (o *observer) nodeName(mac net.HardwareAddr) string {
	_, nodes := o.rec.inventory()
	return nodes.byMAC[mac.String()]
}

// macOf is the MAC of the client at addr, if known.
func (o *observer) macOf(addr netip.Addr) (net.HardwareAddr, bool) {
	addr = addr.Unmap()
	if _, nodes := o.rec.inventory(); nodes.byIP[addr] != nil {
		return nodes.byIP[addr], true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	mac, ok := o.leases[addr]
	return mac, ok
}

// dhcp records one DHCP exchange, then logs it: recorded before logged,
// so an exchange in the log is on record even if serve is killed right
// after the line.
func (o *observer) dhcp(e dhcp.Exchange) {
	if e.Err == nil {
		o.recordDHCP(e)
	}
	o.log.Info("dhcp", "mac", e.MAC.String(), "ip", e.IP, "port", e.Port, "request", e.Request.String(), "reply", e.Reply.String(), "bootfile", e.BootFile, "err", e.Err)
}

func (o *observer) recordDHCP(e dhcp.Exchange) {
	reply := strings.ToLower(e.Reply.String())
	o.metrics.DHCP(reply)
	if e.IP.IsValid() {
		o.mu.Lock()
		if o.leases == nil {
			o.leases = map[netip.Addr]net.HardwareAddr{}
		}
		o.leases[e.IP] = e.MAC
		o.mu.Unlock()
	}
	if err := o.store.DHCP(e.MAC, o.nodeName(e.MAC), strings.ToUpper(reply), time.Now()); err != nil {
		o.log.Error("record store", "mac", e.MAC.String(), "err", err)
	}
}

// transfer records one file served completely (HTTP 200/206, or a TFTP
// transfer acknowledged to its end). A kernel or UKI fetched from a
// bundle's digest path, or a node's UKI (bootfs.UKIName), is what the
// client was given: the digest its report must name. The View asked is
// the one serving when the transfer ended; a node's UKI name is the one
// name whose bundle a switch during its transfer could change.
func (o *observer) transfer(proto string, client netip.Addr, name string, size int64) {
	name = strings.TrimPrefix(name, "/")
	o.metrics.Transfer(proto, name, size)
	mac, ok := o.macOf(client)
	if !ok {
		return
	}
	node, now := o.nodeName(mac), time.Now()
	if err := o.store.File(mac, node, name, now); err != nil {
		o.log.Error("record store", "mac", mac.String(), "err", err)
	}
	if d, ok := o.given(name); ok {
		if err := o.store.Given(mac, node, d.String(), now); err != nil {
			o.log.Error("record store", "mac", mac.String(), "err", err)
		}
	}
}

// given is the digest a client loading name boots: named by a digest
// path, bundles/<hex>/bzImage, Image or rambox.efi, or for a node's UKI, by the
// View serving.
func (o *observer) given(name string) (digest.Digest, bool) {
	dir, file := path.Split(name)
	hex := strings.TrimPrefix(strings.TrimSuffix(dir, "/"), tftproot.BundlesDir+"/")
	if (file == bundle.Kernel || file == bundle.KernelArm64 || file == bundle.UKI) && bootfs.BundlePath(hex, file) == name {
		d := digest.NewDigestFromEncoded(digest.SHA256, hex)
		return d, d.Validate() == nil
	}
	if v := o.rec.cur.Load(); v != nil {
		return v.UKIDigest(name)
	}
	return "", false
}

// reported is called with a node's record once its report is stored:
// the boot counters, and the canary decision of its group.
func (o *observer) reported(n records.Node) {
	r := n.LastReport
	o.metrics.Boot(r.Digest, r.Result)
	log := o.log.With("mac", n.MAC, "node", n.Name, "digest", r.Digest, "result", r.Result, "boot_time", n.BootTime)
	if n.Flag != "" {
		log.Warn("boot report flagged", "flag", n.Flag)
	} else {
		log.Info("boot report")
	}
	if n.Name == "" {
		return
	}
	changed, group, msg := o.fleet.reported(n.Name, digest.Digest(r.Digest), r.Result == records.ResultPass, r.Received)
	if msg == "" {
		return
	}
	o.metrics.ReconcileState(group, o.fleet.state(group))
	if changed {
		o.rec.publish(nil)
	}
	log.Info("canary", "group", group, "how", msg)
}

// Snapshot is the status page's data: every group, and every node of the
// inventory or with a record.
func (o *observer) Snapshot() status.Snapshot {
	s := status.Snapshot{Server: o.server, Generated: time.Now().UTC()}
	s.Groups = o.fleet.snapshot()
	recs, err := o.store.Nodes()
	if err != nil {
		o.log.Error("record store", "err", err)
	}
	byMAC := map[string]records.Node{}
	for _, r := range recs {
		byMAC[r.MAC] = r
	}
	v := o.rec.cur.Load()
	if inv, _ := o.rec.inventory(); inv != nil {
		assign := o.fleet.assignment()
		for _, n := range inv.Nodes {
			sn := status.Node{Name: n.Name, MAC: n.MAC.String(), IP: n.IP.String()}
			sn.Group, _ = assign.GroupOf(n.Name)
			if v != nil {
				if d, ok := v.DigestOf(n.Name); ok {
					sn.Given = d.String()
				}
			}
			r, ok := byMAC[sn.MAC]
			delete(byMAC, sn.MAC)
			s.Nodes = append(s.Nodes, fill(sn, r, ok))
		}
	}
	for _, r := range recs { // clients not in the inventory, in the store's order
		if _, ok := byMAC[r.MAC]; ok {
			s.Nodes = append(s.Nodes, fill(status.Node{Name: r.Name, MAC: r.MAC}, r, true))
		}
	}
	return s
}

// fill completes a status row from the node's record.
func fill(sn status.Node, r records.Node, ok bool) status.Node {
	if !ok {
		sn.State = "waiting"
		return sn
	}
	sn.LastDHCP, sn.LastFile, sn.LastFileName, sn.Flag, sn.BootTime = r.LastDHCP, r.LastFileAt, r.LastFile, r.Flag, r.BootTime
	if sn.Given == "" {
		sn.Given = r.Given
	}
	switch {
	case r.LastReport != nil && !r.LastReport.Received.Before(r.LastDHCP):
		sn.State = "booted"
		if r.LastReport.Result != records.ResultPass {
			sn.State = status.StateFailed
		}
	case r.LastFileAt.After(r.LastDHCP):
		sn.State = "loading"
	default:
		sn.State = "dhcp"
	}
	if r.LastReport != nil {
		sn.Booted, sn.Result, sn.LastReport = r.LastReport.Digest, r.LastReport.Result, r.LastReport.Received
		if sn.IP == "" {
			sn.IP = r.LastReport.IP
		}
	}
	if r.Flag != "" {
		sn.State = "flagged"
	}
	return sn
}
