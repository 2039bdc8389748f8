package dhcp

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"rambox/pxe"
)

const (
	node1    = "08:00:07:26:c0:a5" // boot ipxe (default)
	node2    = "08:00:07:26:c0:a6" // boot pxelinux
	stranger = "02:00:00:00:00:99"
	httpPort = 8080
	biosPXE  = "PXEClient:Arch:00000:UNDI:002001"
	uefiPXE  = "PXEClient:Arch:00007:UNDI:003016"
)

var serverIP = netip.MustParseAddr("192.168.24.202")

// inventory is testdata/nodes.yaml, changed by edit.
func inventory(t *testing.T, edit func(*pxe.Inventory)) *pxe.Inventory {
	t.Helper()
	inv, err := pxe.LoadInventory("testdata/nodes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(inv)
	}
	return inv
}

// clock is a settable time for lease expiry.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newServer(t *testing.T, mode Mode, inv *pxe.Inventory) (*Server, *clock) {
	t.Helper()
	s, err := New(Config{Mode: mode, Inventory: inv, HTTPPort: httpPort, LeaseTime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Unix(1_000_000, 0)}
	s.leases.now = c.now
	return s, c
}

func mac(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func discover(t *testing.T, m string, opts ...dhcpv4.Option) *dhcpv4.DHCPv4 {
	t.Helper()
	var mods []dhcpv4.Modifier
	for _, o := range opts {
		mods = append(mods, dhcpv4.WithOption(o))
	}
	d, err := dhcpv4.NewDiscovery(mac(t, m), mods...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// request is a SELECTING-state REQUEST for ip from the server at id
// (none when invalid).
func request(t *testing.T, m string, ip, id netip.Addr, opts ...dhcpv4.Option) *dhcpv4.DHCPv4 {
	t.Helper()
	mods := []dhcpv4.Modifier{dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest), dhcpv4.WithHwAddr(mac(t, m))}
	if ip.IsValid() {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip.AsSlice())))
	}
	if id.IsValid() {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptServerIdentifier(id.AsSlice())))
	}
	for _, o := range opts {
		mods = append(mods, dhcpv4.WithOption(o))
	}
	d, err := dhcpv4.New(mods...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// summary is the part of a reply the tests compare; "no reply" for nil.
func summary(resp *dhcpv4.DHCPv4) string {
	if resp == nil {
		return "no reply"
	}
	s := resp.MessageType().String() + " yiaddr=" + resp.YourIPAddr.String() + " siaddr=" + resp.ServerIPAddr.String()
	if resp.BootFileName != "" {
		s += " file=" + resp.BootFileName
	}
	return s
}

func TestValidate(t *testing.T) {
	inv := inventory(t, nil)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no mode", Config{Inventory: inv, HTTPPort: 80}, "Mode"},
		{"no inventory", Config{Mode: Full, HTTPPort: 80}, "Inventory: missing"},
		{"no port", Config{Mode: Proxy, Inventory: inv}, "HTTPPort: 0 is not a port"},
		{"v6 server", Config{Mode: Full, Inventory: inv, HTTPPort: 80, ServerIP: netip.MustParseAddr("fd00::1")}, "ServerIP"},
	}
	for _, tc := range tests {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrConfig) {
			t.Errorf("%s: New() = %v, want an ErrConfig naming %q", tc.name, err, tc.want)
		}
	}
}
