package dhcp

import (
	"net/netip"
	"sync"
	"time"

	"rambox/pxe"
)

// offerHold is how long an offered pool address stays reserved for the
// client it was offered to, waiting for its REQUEST.
const offerHold = time.Minute

// leases is the pool's lease table, kept across inventories. An address is
// held by at most one MAC until its expiry; handlers run concurrently, so
// every method locks.
type leases struct {
	mu    sync.Mutex
	now   func() time.Time
	byIP  map[netip.Addr]*lease
	byMAC map[string]*lease
}

type lease struct {
	mac    string
	ip     netip.Addr
	expiry time.Time
}

func newLeases(now func() time.Time) *leases {
	return &leases{now: now, byIP: map[netip.Addr]*lease{}, byMAC: map[string]*lease{}}
}

// live returns mac's unexpired lease inside nw's range, dropping an
// expired or out-of-range one.
func (l *leases) live(mac string, nw *pxe.Network) *lease {
	le := l.byMAC[mac]
	if le != nil && (!l.now().Before(le.expiry) || !nw.InRange(le.ip)) {
		l.drop(le)
		le = nil
	}
	return le
}

func (l *leases) drop(le *lease) {
	delete(l.byMAC, le.mac)
	if l.byIP[le.ip] == le {
		delete(l.byIP, le.ip)
	}
}

// free reports whether ip is held by nobody but mac.
func (l *leases) free(ip netip.Addr, mac string) bool {
	le := l.byIP[ip]
	return le == nil || le.mac == mac || !l.now().Before(le.expiry)
}

func (l *leases) hold(mac string, ip netip.Addr, d time.Duration) {
	if old := l.byIP[ip]; old != nil {
		l.drop(old)
	}
	if old := l.byMAC[mac]; old != nil {
		l.drop(old)
	}
	le := &lease{mac: mac, ip: ip, expiry: l.now().Add(d)}
	l.byIP[ip], l.byMAC[mac] = le, le
}

// offer reserves an address of nw's range for mac: the one it holds, else
// the lowest free one. ok is false when the pool is exhausted.
func (l *leases) offer(mac string, nw *pxe.Network) (netip.Addr, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if le := l.live(mac, nw); le != nil {
		if le.expiry.Sub(l.now()) < offerHold {
			le.expiry = l.now().Add(offerHold)
		}
		return le.ip, true
	}
	if !nw.RangeFirst.IsValid() {
		return netip.Addr{}, false
	}
	for ip := nw.RangeFirst; !nw.RangeLast.Less(ip); ip = ip.Next() {
		if l.free(ip, mac) {
			l.hold(mac, ip, offerHold)
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// bind leases ip to mac for d, if ip is in the range and nobody else
// holds it.
func (l *leases) bind(mac string, ip netip.Addr, nw *pxe.Network, d time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !nw.InRange(ip) || !l.free(ip, mac) {
		return false
	}
	l.hold(mac, ip, d)
	return true
}

// release ends mac's lease (DHCPRELEASE, or a REQUEST for another
// server's offer).
func (l *leases) release(mac string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if le := l.byMAC[mac]; le != nil {
		l.drop(le)
	}
}

// decline takes ip, which mac found in use by another host (DHCPDECLINE),
// out of the pool for d: it is held by nobody, so offered to nobody.
func (l *leases) decline(mac string, ip netip.Addr, nw *pxe.Network, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !nw.InRange(ip) || !l.free(ip, mac) {
		return
	}
	if le := l.byMAC[mac]; le != nil {
		l.drop(le)
	}
	l.byIP[ip] = &lease{ip: ip, expiry: l.now().Add(d)}
}
