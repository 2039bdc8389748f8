package dhcp

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"rambox/pxe"
)

// Every arch (0, 7, 9) x iPXE or not x boot pxelinux or ipxe, in full and
// proxy mode: the file, and the PXE answer's options.
func TestBootFile(t *testing.T) {
	script := "http://192.168.24.202:8080/ipxe/" + node1 + ".ipxe"
	script2 := "http://192.168.24.202:8080/ipxe/" + node2 + ".ipxe"
	tests := []struct {
		arch iana.Arch
		ipxe bool
		node string // node1 boots ipxe, node2 pxelinux
		want string
	}{
		{iana.INTEL_X86PC, false, node2, "pxelinux.0"},
		{iana.INTEL_X86PC, false, node1, "undionly.kpxe"},
		{iana.INTEL_X86PC, true, node2, "pxelinux.0"},
		{iana.INTEL_X86PC, true, node1, script},
		{iana.EFI_X86_64, false, node2, "syslinux.efi"},
		{iana.EFI_X86_64, false, node1, "ipxe.efi"},
		{iana.EFI_X86_64, true, node2, script2},
		{iana.EFI_X86_64, true, node1, script},
		{iana.EFI_BC, false, node2, "syslinux.efi"},
		{iana.EFI_BC, false, node1, "ipxe.efi"},
		{iana.EFI_BC, true, node2, script2},
		{iana.EFI_BC, true, node1, script},
		{iana.EFI_ARM64, false, node1, ""},
	}
	for _, mode := range []Mode{Full, Proxy} {
		s, _ := newServer(t, mode, inventory(t, nil))
		for _, tc := range tests {
			name := fmt.Sprintf("%s: arch %d, iPXE %v, node %s", mode, tc.arch, tc.ipxe, tc.node)
			opts := []dhcpv4.Option{dhcpv4.OptClassIdentifier(fmt.Sprintf("PXEClient:Arch:%05d:UNDI:002001", tc.arch)), dhcpv4.OptClientArch(tc.arch)}
			if tc.ipxe {
				opts = append(opts, dhcpv4.OptUserClass("iPXE"))
			}
			resp := s.reply(ServerPort, discover(t, tc.node, opts...))
			if tc.want == "" {
				if mode == Proxy && resp != nil || mode == Full && resp.BootFileName != "" {
					t.Errorf("%s: reply = %q, want no boot file", name, summary(resp))
				}
				continue
			}
			if resp == nil {
				t.Errorf("%s: no reply, want file %q", name, tc.want)
				continue
			}
			for _, c := range []struct{ what, got, want string }{
				{"file", resp.BootFileName, tc.want},
				{"option 67", resp.BootFileNameOption(), tc.want},
				{"option 66", resp.TFTPServerName(), serverIP.String()},
				{"siaddr", resp.ServerIPAddr.String(), serverIP.String()},
				{"option 60", resp.ClassIdentifier(), "PXEClient"},
				{"option 43", fmt.Sprintf("% x", resp.GetOneOption(dhcpv4.OptionVendorSpecificInformation)), "06 01 08 ff"},
			} {
				if c.got != c.want {
					t.Errorf("%s: %s = %q, want %q", name, c.what, c.got, c.want)
				}
			}
		}
	}
}

func TestProxy(t *testing.T) {
	node := netip.MustParseAddr("192.168.24.203")
	pxeOpts := []dhcpv4.Option{dhcpv4.OptClassIdentifier(biosPXE), dhcpv4.OptClientArch(iana.INTEL_X86PC)}
	tests := []struct {
		name string
		port int
		req  func(t *testing.T) *dhcpv4.DHCPv4
		want string
	}{
		{"PXE DISCOVER", ServerPort, func(t *testing.T) *dhcpv4.DHCPv4 { return discover(t, node2, pxeOpts...) },
			"OFFER yiaddr=0.0.0.0 siaddr=192.168.24.202 file=pxelinux.0"},
		{"non-PXE DISCOVER", ServerPort, func(t *testing.T) *dhcpv4.DHCPv4 { return discover(t, node2) }, "no reply"},
		{"address REQUEST to the DHCP server", ServerPort, func(t *testing.T) *dhcpv4.DHCPv4 {
			return request(t, node2, node, netip.MustParseAddr("192.168.24.250"), pxeOpts...)
		}, "no reply"},
		{"address REQUEST without server id", ServerPort, func(t *testing.T) *dhcpv4.DHCPv4 {
			return request(t, node2, netip.MustParseAddr("10.1.1.1"), none, pxeOpts...)
		}, "no reply"},
		{"boot server REQUEST on 4011", PXEPort, func(t *testing.T) *dhcpv4.DHCPv4 {
			r := request(t, node2, none, none, pxeOpts...)
			r.ClientIPAddr = node.AsSlice()
			return r
		}, "ACK yiaddr=0.0.0.0 siaddr=192.168.24.202 file=pxelinux.0"},
		{"DISCOVER on 4011", PXEPort, func(t *testing.T) *dhcpv4.DHCPv4 { return discover(t, node2, pxeOpts...) }, "no reply"},
		{"iPXE DISCOVER", ServerPort, func(t *testing.T) *dhcpv4.DHCPv4 {
			return discover(t, node1, append(pxeOpts, dhcpv4.OptUserClass("iPXE"))...)
		}, "OFFER yiaddr=0.0.0.0 siaddr=192.168.24.202 file=http://192.168.24.202:8080/ipxe/" + node1 + ".ipxe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t, Proxy, inventory(t, nil))
			resp := s.reply(tc.port, tc.req(t))
			if got := summary(resp); got != tc.want {
				t.Errorf("reply(port %d) = %q, want %q", tc.port, got, tc.want)
			}
			if resp != nil && resp.Options.Has(dhcpv4.OptionIPAddressLeaseTime) {
				t.Errorf("proxy reply carries a lease time: %s", resp.Options)
			}
		})
	}
}

// A PXE client's machine identifier (option 97, RFC 4578) comes back in
// the PXE answer, as the PXE spec asks of servers.
func TestPXEClientUUIDEchoed(t *testing.T) {
	uuid := append([]byte{0}, []byte("0123456789abcdef")...)
	for _, mode := range []Mode{Full, Proxy} {
		s, _ := newServer(t, mode, inventory(t, nil))
		resp := s.reply(ServerPort, discover(t, node1, dhcpv4.OptClassIdentifier(biosPXE), dhcpv4.OptClientArch(iana.INTEL_X86PC),
			dhcpv4.OptGeneric(dhcpv4.OptionClientMachineIdentifier, uuid)))
		if got := fmt.Sprintf("% x", resp.GetOneOption(dhcpv4.OptionClientMachineIdentifier)); got != fmt.Sprintf("% x", uuid) {
			t.Errorf("%s: option 97 = %q, want %q", mode, got, fmt.Sprintf("% x", uuid))
		}
	}
}

// A uki node: its UKI straight from UEFI firmware (TFTP, or a URL for a
// UEFI HTTP Boot client, which gets option 60 HTTPClient back), its script
// once iPXE runs, undionly.kpxe on BIOS; HTTP Boot clients of other nodes
// get ipxe.efi's URL. Full mode: proxyDHCP answers PXE clients only.
func TestBootFileUKI(t *testing.T) {
	base := "http://192.168.24.202:8080/"
	uki := func(inv *pxe.Inventory) { inv.Nodes[0].Boot = pxe.BootUKI } // node1
	httpClient := "HTTPClient:Arch:00016:UNDI:003001"
	tests := []struct {
		class string
		arch  iana.Arch
		ipxe  bool
		node  string // node1 boots uki, node2 pxelinux
		want  string
		vc    string // option 60 of the reply
	}{
		{uefiPXE, iana.EFI_X86_64, false, node1, "uki/" + node1 + ".efi", "PXEClient"},
		{uefiPXE, iana.EFI_BC, false, node1, "uki/" + node1 + ".efi", "PXEClient"},
		{uefiPXE, iana.EFI_X86_64, true, node1, base + "ipxe/" + node1 + ".ipxe", "PXEClient"},
		{biosPXE, iana.INTEL_X86PC, false, node1, "undionly.kpxe", "PXEClient"},
		{biosPXE, iana.INTEL_X86PC, true, node1, base + "ipxe/" + node1 + ".ipxe", "PXEClient"},
		{httpClient, iana.EFI_X86_64_HTTP, false, node1, base + "uki/" + node1 + ".efi", "HTTPClient"},
		{httpClient, iana.EFI_X86_64_HTTP, false, node2, base + "ipxe.efi", "HTTPClient"},
		{"HTTPClient:Arch:00019:UNDI:003001", iana.EFI_ARM64_HTTP, false, node1, "", ""},
	}
	s, _ := newServer(t, Full, inventory(t, uki))
	for _, tc := range tests {
		name := fmt.Sprintf("%s, arch %d, iPXE %v, node %s", tc.class, tc.arch, tc.ipxe, tc.node)
		opts := []dhcpv4.Option{dhcpv4.OptClassIdentifier(tc.class), dhcpv4.OptClientArch(tc.arch)}
		if tc.ipxe {
			opts = append(opts, dhcpv4.OptUserClass("iPXE"))
		}
		resp := s.reply(ServerPort, discover(t, tc.node, opts...))
		if resp == nil {
			t.Errorf("%s: no reply", name)
			continue
		}
		if resp.BootFileName != tc.want || resp.BootFileNameOption() != tc.want {
			t.Errorf("%s: file %q, option 67 %q, want %q", name, resp.BootFileName, resp.BootFileNameOption(), tc.want)
		}
		if got := resp.ClassIdentifier(); got != tc.vc {
			t.Errorf("%s: option 60 = %q, want %q", name, got, tc.vc)
		}
	}
	p, _ := newServer(t, Proxy, inventory(t, uki))
	if resp := p.reply(ServerPort, discover(t, node1, dhcpv4.OptClassIdentifier(httpClient), dhcpv4.OptClientArch(iana.EFI_X86_64_HTTP))); resp != nil {
		t.Errorf("proxy mode answered a UEFI HTTP Boot client: %s", summary(resp))
	}
}

// TestBootFileArm64: an arm64 node (inventory arch arm64, boot grub) gets
// GRUB's netboot image over TFTP when its firmware says arm64 UEFI
// (option 93 = 11), in full and proxy mode; nothing for an x86 arch
// (its firmware could not run what the node's bundle holds), and an
// amd64 node sending 11 gets nothing. A client not in the inventory boots
// by its option 93 (pxe.UnknownBoots): GRUB on arm64 UEFI, iPXE on x86.
func TestBootFileArm64(t *testing.T) {
	arm := func(inv *pxe.Inventory) { inv.Nodes[0].Arch, inv.Nodes[0].Boot = pxe.ArchARM64, pxe.BootGRUB } // node1
	tests := []struct {
		arch iana.Arch
		node string
		want string
	}{
		{iana.EFI_ARM64, node1, "grubnetaa64.efi"},
		{iana.EFI_X86_64, node1, ""},
		{iana.INTEL_X86PC, node1, ""},
		{iana.EFI_ARM64, node2, ""},
		{iana.EFI_ARM64, stranger, "grubnetaa64.efi"},
		{iana.EFI_X86_64, stranger, "ipxe.efi"},
		{iana.INTEL_X86PC, stranger, "undionly.kpxe"},
	}
	for _, mode := range []Mode{Full, Proxy} {
		s, _ := newServer(t, mode, inventory(t, arm))
		for _, tc := range tests {
			name := fmt.Sprintf("%s: arch %d, node %s", mode, tc.arch, tc.node)
			resp := s.reply(ServerPort, discover(t, tc.node, dhcpv4.OptClassIdentifier(fmt.Sprintf("PXEClient:Arch:%05d:UNDI:003001", tc.arch)), dhcpv4.OptClientArch(tc.arch)))
			switch {
			case tc.want == "" && (mode == Proxy && resp != nil || mode == Full && resp.BootFileName != ""):
				t.Errorf("%s: reply = %q, want no boot file", name, summary(resp))
			case tc.want != "" && resp == nil:
				t.Errorf("%s: no reply, want %q", name, tc.want)
			case tc.want != "" && (resp.BootFileName != tc.want || resp.BootFileNameOption() != tc.want):
				t.Errorf("%s: file %q, option 67 %q, want %q", name, resp.BootFileName, resp.BootFileNameOption(), tc.want)
			}
		}
	}
}
