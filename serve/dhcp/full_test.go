package dhcp

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"rambox/pxe"
)

var none netip.Addr

func TestFullFixedAddress(t *testing.T) {
	s, _ := newServer(t, Full, inventory(t, nil))
	node := netip.MustParseAddr("192.168.24.203")
	offer := s.reply(ServerPort, discover(t, node1))
	if got, want := summary(offer), "OFFER yiaddr=192.168.24.203 siaddr=192.168.24.202"; got != want {
		t.Fatalf("reply(DISCOVER %s) = %q, want %q", node1, got, want)
	}
	for _, c := range []struct{ what, got, want string }{
		{"subnet mask", offer.SubnetMask().String(), "ffffff00"},
		{"router", fmt.Sprint(offer.Router()), "[192.168.24.1]"},
		{"server identifier", offer.ServerIdentifier().String(), "192.168.24.202"},
		{"host name", offer.HostName(), "rambox01.home.dev"},
		{"lease time", offer.IPAddressLeaseTime(0).String(), "1h0m0s"},
	} {
		if c.got != c.want {
			t.Errorf("OFFER %s = %q, want %q", c.what, c.got, c.want)
		}
	}
	ack := s.reply(ServerPort, request(t, node1, node, serverIP))
	if got, want := summary(ack), "ACK yiaddr=192.168.24.203 siaddr=192.168.24.202"; got != want {
		t.Errorf("reply(REQUEST %s) = %q, want %q", node1, got, want)
	}
	// A node without a hostname is named by its inventory name.
	if got := s.reply(ServerPort, discover(t, node2)).HostName(); got != "rambox02" {
		t.Errorf("OFFER to %s: host name = %q, want %q", node2, got, "rambox02")
	}
}

// The kernel's ip=dhcp sends no vendor class: it gets the node's address
// and next-server (for /proc/net/pnp), and no boot file.
func TestFullKernelIPDHCP(t *testing.T) {
	s, _ := newServer(t, Full, inventory(t, nil))
	node := netip.MustParseAddr("192.168.24.203")
	for _, tc := range []struct {
		req  *dhcpv4.DHCPv4
		want string
	}{
		{discover(t, node1, dhcpv4.OptParameterRequestList(dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter, dhcpv4.OptionHostName)), "OFFER yiaddr=192.168.24.203 siaddr=192.168.24.202"},
		{request(t, node1, node, serverIP), "ACK yiaddr=192.168.24.203 siaddr=192.168.24.202"},
	} {
		resp := s.reply(ServerPort, tc.req)
		if got := summary(resp); got != tc.want {
			t.Errorf("reply(%s) = %q, want %q", tc.req.MessageType(), got, tc.want)
		}
		if resp != nil && (resp.Options.Has(dhcpv4.OptionClassIdentifier) || resp.Options.Has(dhcpv4.OptionBootfileName)) {
			t.Errorf("reply(%s) to a non-PXE client has PXE options: %s", tc.req.MessageType(), resp.Options)
		}
	}
}

func TestFullRequests(t *testing.T) {
	other := netip.MustParseAddr("192.168.24.250")
	tests := []struct {
		name string
		req  func(t *testing.T) *dhcpv4.DHCPv4
		want string
	}{
		{"another server's offer", func(t *testing.T) *dhcpv4.DHCPv4 {
			return request(t, node1, netip.MustParseAddr("192.168.24.203"), other)
		}, "no reply"},
		{"node asks for another address", func(t *testing.T) *dhcpv4.DHCPv4 {
			return request(t, node1, netip.MustParseAddr("192.168.24.205"), serverIP)
		}, "NAK yiaddr=0.0.0.0 siaddr=0.0.0.0"},
		{"init-reboot with a stale address", func(t *testing.T) *dhcpv4.DHCPv4 {
			return request(t, node1, netip.MustParseAddr("10.1.1.1"), none)
		}, "NAK yiaddr=0.0.0.0 siaddr=0.0.0.0"},
		{"renewing from ciaddr", func(t *testing.T) *dhcpv4.DHCPv4 {
			r := request(t, node1, none, none)
			r.ClientIPAddr = netip.MustParseAddr("192.168.24.203").AsSlice()
			return r
		}, "ACK yiaddr=192.168.24.203 siaddr=192.168.24.202"},
		{"stranger asks for a pool address outside the range", func(t *testing.T) *dhcpv4.DHCPv4 {
			return request(t, stranger, netip.MustParseAddr("192.168.24.203"), serverIP)
		}, "NAK yiaddr=0.0.0.0 siaddr=0.0.0.0"},
		{"stranger asks for a free pool address", func(t *testing.T) *dhcpv4.DHCPv4 {
			return request(t, stranger, netip.MustParseAddr("192.168.24.211"), serverIP)
		}, "ACK yiaddr=192.168.24.211 siaddr=192.168.24.202"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t, Full, inventory(t, nil))
			resp := s.reply(ServerPort, tc.req(t))
			if got := summary(resp); got != tc.want {
				t.Errorf("reply(REQUEST) = %q, want %q", got, tc.want)
			}
			if resp != nil && resp.MessageType() == dhcpv4.MessageTypeNak && !resp.ServerIdentifier().Equal(serverIP.AsSlice()) {
				t.Errorf("NAK server identifier = %s, want %s", resp.ServerIdentifier(), serverIP)
			}
		})
	}
}

func TestFullUnknownRefused(t *testing.T) {
	s, _ := newServer(t, Full, inventory(t, func(inv *pxe.Inventory) { inv.Network.AllowUnknown = false }))
	for _, req := range []*dhcpv4.DHCPv4{discover(t, stranger), request(t, stranger, netip.MustParseAddr("192.168.24.210"), serverIP)} {
		if got := summary(s.reply(ServerPort, req)); got != "no reply" {
			t.Errorf("reply(%s from unknown %s) = %q, want %q", req.MessageType(), stranger, got, "no reply")
		}
	}
}

// A REQUEST for another server's offer gives back the pool address offered
// here, and an address held by one client is refused to another.
func TestPoolExhaustionAndExpiry(t *testing.T) {
	s, c := newServer(t, Full, inventory(t, nil))
	var got []string
	for i := range 4 {
		got = append(got, summary(s.reply(ServerPort, discover(t, fmt.Sprintf("02:00:00:00:01:%02x", i)))))
	}
	want := []string{
		"OFFER yiaddr=192.168.24.210 siaddr=192.168.24.202",
		"OFFER yiaddr=192.168.24.211 siaddr=192.168.24.202",
		"OFFER yiaddr=192.168.24.212 siaddr=192.168.24.202",
		"no reply",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("DISCOVERs from 4 clients into a pool of 3 = %q, want %q", got, want)
	}
	// The second client is taken by another server's offer.
	s.reply(ServerPort, request(t, "02:00:00:00:01:01", netip.MustParseAddr("10.9.9.9"), netip.MustParseAddr("192.168.24.250")))
	if got, want := summary(s.reply(ServerPort, discover(t, "02:00:00:00:01:03"))), "OFFER yiaddr=192.168.24.211 siaddr=192.168.24.202"; got != want {
		t.Errorf("DISCOVER after a release = %q, want %q", got, want)
	}
	// Another client may not take an offered address.
	if got, want := summary(s.reply(ServerPort, request(t, "02:00:00:00:01:04", netip.MustParseAddr("192.168.24.210"), serverIP))), "NAK yiaddr=0.0.0.0 siaddr=0.0.0.0"; got != want {
		t.Errorf("REQUEST for another client's offer = %q, want %q", got, want)
	}
	// Offers expire.
	c.t = c.t.Add(offerHold)
	if got, want := summary(s.reply(ServerPort, discover(t, "02:00:00:00:01:05"))), "OFFER yiaddr=192.168.24.210 siaddr=192.168.24.202"; got != want {
		t.Errorf("DISCOVER after the offers expired = %q, want %q", got, want)
	}
	// A bound lease lasts its lease time, then frees its address.
	if got, want := summary(s.reply(ServerPort, request(t, "02:00:00:00:01:05", netip.MustParseAddr("192.168.24.210"), serverIP))), "ACK yiaddr=192.168.24.210 siaddr=192.168.24.202"; got != want {
		t.Fatalf("REQUEST for the offer = %q, want %q", got, want)
	}
	c.t = c.t.Add(time.Hour - time.Second)
	if got, want := summary(s.reply(ServerPort, request(t, "02:00:00:00:01:06", netip.MustParseAddr("192.168.24.210"), serverIP))), "NAK yiaddr=0.0.0.0 siaddr=0.0.0.0"; got != want {
		t.Errorf("REQUEST for a bound address = %q, want %q", got, want)
	}
	c.t = c.t.Add(time.Second)
	if got, want := summary(s.reply(ServerPort, request(t, "02:00:00:00:01:06", netip.MustParseAddr("192.168.24.210"), serverIP))), "ACK yiaddr=192.168.24.210 siaddr=192.168.24.202"; got != want {
		t.Errorf("REQUEST for an expired lease's address = %q, want %q", got, want)
	}
}

// 1,000 distinct clients at once into a pool of 600: 600 distinct
// addresses, 400 refused, none handed out twice.
func TestPoolNoDoubleAllocation(t *testing.T) {
	inv := inventory(t, func(inv *pxe.Inventory) {
		inv.Network.Prefix = netip.MustParsePrefix("10.20.0.0/16")
		inv.Network.Netmask = netip.MustParseAddr("255.255.0.0")
		inv.Network.RangeFirst = netip.MustParseAddr("10.20.1.0")
		inv.Network.RangeLast = netip.MustParseAddr("10.20.3.87") // 600 addresses
	})
	s, _ := newServer(t, Full, inv)
	const clients = 1000
	got := make([]*dhcpv4.DHCPv4, clients)
	var wg sync.WaitGroup
	for i := range clients {
		req := discover(t, fmt.Sprintf("02:00:00:00:%02x:%02x", i>>8, i&0xff))
		wg.Go(func() { got[i] = s.reply(ServerPort, req) })
	}
	wg.Wait()
	seen := map[string]int{}
	refused := 0
	for i, resp := range got {
		if resp == nil {
			refused++
			continue
		}
		ip := resp.YourIPAddr.String()
		if prev, dup := seen[ip]; dup {
			t.Errorf("client %d and client %d both offered %s", prev, i, ip)
		}
		seen[ip] = i
	}
	if len(seen) != 600 || refused != 400 {
		t.Errorf("%d clients into a pool of 600: %d offered, %d refused, want 600, 400", clients, len(seen), refused)
	}
}

// A DECLINEd pool address (the client found it in use) is not offered
// again until a lease time has passed.
func TestPoolDecline(t *testing.T) {
	s, c := newServer(t, Full, inventory(t, nil))
	first := netip.MustParseAddr("192.168.24.210")
	if got, want := summary(s.reply(ServerPort, discover(t, stranger))), "OFFER yiaddr=192.168.24.210 siaddr=192.168.24.202"; got != want {
		t.Fatalf("DISCOVER = %q, want %q", got, want)
	}
	decline := request(t, stranger, first, serverIP)
	decline.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeDecline))
	if got := summary(s.reply(ServerPort, decline)); got != "no reply" {
		t.Errorf("reply(DECLINE) = %q, want %q", got, "no reply")
	}
	for _, c := range []struct{ mac, want string }{
		{stranger, "OFFER yiaddr=192.168.24.211 siaddr=192.168.24.202"},
		{"02:00:00:00:01:01", "OFFER yiaddr=192.168.24.212 siaddr=192.168.24.202"},
	} {
		if got := summary(s.reply(ServerPort, discover(t, c.mac))); got != c.want {
			t.Errorf("DISCOVER from %s after the DECLINE = %q, want %q", c.mac, got, c.want)
		}
	}
	c.t = c.t.Add(time.Hour)
	if got, want := summary(s.reply(ServerPort, discover(t, "02:00:00:00:01:02"))), "OFFER yiaddr=192.168.24.210 siaddr=192.168.24.202"; got != want {
		t.Errorf("DISCOVER a lease time after the DECLINE = %q, want %q", got, want)
	}
}
