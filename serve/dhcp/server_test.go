package dhcp

import (
	"net"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"rambox/pxe"
)

// sentConn records what is written to it; nothing is sent anywhere.
type sentConn struct {
	net.PacketConn
	sent []*dhcpv4.DHCPv4
	to   []net.Addr
}

func (c *sentConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	m, err := dhcpv4.FromBytes(b)
	if err != nil {
		return 0, err
	}
	c.sent, c.to = append(c.sent, m), append(c.to, addr)
	return len(b), nil
}

// One reply is sent per answered message, to the peer, and OnExchange
// hears of it once; a dropped message is neither sent nor reported.
func TestAnswererExchange(t *testing.T) {
	var got []Exchange
	s, err := New(Config{Mode: Full, Inventory: inventory(t, nil), HTTPPort: httpPort,
		OnExchange: func(e Exchange) { got = append(got, e) }})
	if err != nil {
		t.Fatal(err)
	}
	conn := &sentConn{}
	peer := &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpv4.ClientPort}
	answer := s.answerer(ServerPort)
	answer(conn, peer, discover(t, node2, dhcpv4.OptClassIdentifier(biosPXE), dhcpv4.OptClientArch(iana.INTEL_X86PC)))
	answer(conn, peer, discover(t, stranger, dhcpv4.OptMessageType(dhcpv4.MessageTypeInform)))
	if len(conn.sent) != 1 || conn.to[0].String() != peer.String() {
		t.Fatalf("sent %d replies to %v, want 1 to %s", len(conn.sent), conn.to, peer)
	}
	want := Exchange{MAC: mac(t, node2), IP: netip.MustParseAddr("192.168.24.204"), Port: ServerPort,
		Request: dhcpv4.MessageTypeDiscover, Reply: dhcpv4.MessageTypeOffer, BootFile: "pxelinux.0"}
	if len(got) != 1 || got[0].MAC.String() != want.MAC.String() || got[0].IP != want.IP || got[0].Port != want.Port ||
		got[0].Request != want.Request || got[0].Reply != want.Reply || got[0].BootFile != want.BootFile || got[0].Err != nil {
		t.Errorf("OnExchange got %+v, want once %+v", got, want)
	}
}

// SetInventory changes the answers from the next message on and keeps
// the pool's leases.
func TestSetInventory(t *testing.T) {
	s, _ := newServer(t, Full, inventory(t, nil))
	pxeReq := func() *dhcpv4.DHCPv4 {
		return discover(t, node1, dhcpv4.OptClassIdentifier(biosPXE), dhcpv4.OptClientArch(iana.INTEL_X86PC))
	}
	held := summary(s.reply(ServerPort, discover(t, stranger)))
	if got, want := s.reply(ServerPort, pxeReq()).BootFileName, "undionly.kpxe"; got != want {
		t.Fatalf("before: %s boots %q, want %q", node1, got, want)
	}
	s.SetInventory(inventory(t, func(inv *pxe.Inventory) { inv.Nodes[0].Boot = pxe.BootPxelinux }))
	if got, want := s.reply(ServerPort, pxeReq()).BootFileName, "pxelinux.0"; got != want {
		t.Errorf("after SetInventory: %s boots %q, want %q", node1, got, want)
	}
	if got := summary(s.reply(ServerPort, discover(t, stranger))); got != held {
		t.Errorf("after SetInventory: %s offered %q, want its held %q", stranger, got, held)
	}
}
