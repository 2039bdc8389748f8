// Package dhcp is the boot server's DHCPv4 server. In full mode it is the
// link's DHCP server: the inventory's fixed addresses, a pool for unknown
// clients when the inventory allows them, and the PXE boot file. In proxy
// mode ("proxyDHCP", PXE spec 2.1) it stands beside another DHCP server
// that hands out the addresses and answers PXE clients with the boot file
// only.
//
// Each concern (leases, network options, the boot file, the PXE vendor
// options) is a Handler in its own file; a Server runs one chain of them
// per port it listens on and knows nothing about PXE itself.
package dhcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"

	"rambox/pxe"
)

// Mode is what the server answers.
type Mode int

const (
	// Full is the link's DHCP server: addresses and boot files.
	Full Mode = iota + 1
	// Proxy answers only PXE clients, only with the boot file, beside
	// another DHCP server.
	Proxy
)

func (m Mode) String() string {
	switch m {
	case Full:
		return "full"
	case Proxy:
		return "proxy"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Ports the server listens on.
const (
	// ServerPort is DHCP's, in both modes.
	ServerPort = dhcpv4.ServerPort
	// PXEPort is the PXE boot server's (proxy mode): clients send their
	// boot server REQUEST there.
	PXEPort = 4011
)

// DefaultLeaseTime is the lease when Config.LeaseTime is zero: a day, as
// the seed's dhcpd.conf gives.
const DefaultLeaseTime = 24 * time.Hour

// Config is what New needs.
type Config struct {
	Mode      Mode
	Inventory *pxe.Inventory
	// ServerIP is this server's address on the served link: the server
	// identifier, next-server (siaddr, option 66) and the host of iPXE
	// script URLs. Zero means the inventory's server address.
	ServerIP netip.Addr
	// HTTPPort is where the HTTP boot server listens: the port of iPXE
	// script URLs.
	HTTPPort int
	// LeaseTime is the lease handed out in full mode; zero means
	// DefaultLeaseTime.
	LeaseTime time.Duration
	// OnExchange, when set, is called once per answered message (after
	// the reply was sent, or failed to be), from the goroutine that
	// answered it.
	OnExchange func(Exchange)
}

// Exchange is one answered message, for the fleet status.
type Exchange struct {
	MAC      net.HardwareAddr
	IP       netip.Addr // the address handed out; invalid in proxy replies and NAKs
	Port     int        // ServerPort or PXEPort
	Request  dhcpv4.MessageType
	Reply    dhcpv4.MessageType
	BootFile string // file or script URL; empty when none was given
	Err      error  // why the reply could not be sent, or nil
}

// ErrConfig is wrapped by every problem Validate reports.
var ErrConfig = errors.New("dhcp config")

// Validate reports every problem with c, each naming its field.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, a...)))
	}
	if c.Mode != Full && c.Mode != Proxy {
		bad("Mode", "%s is neither full nor proxy", c.Mode)
	}
	if c.Inventory == nil {
		bad("Inventory", "missing")
	}
	if c.ServerIP.IsValid() && !c.ServerIP.Is4() {
		bad("ServerIP", "%s is not an IPv4 address", c.ServerIP)
	}
	if c.HTTPPort < 1 || c.HTTPPort > 65535 {
		bad("HTTPPort", "%d is not a port", c.HTTPPort)
	}
	if c.LeaseTime < 0 || c.LeaseTime/time.Second > 1<<32-1 {
		bad("LeaseTime", "%s does not fit DHCP's 32-bit seconds", c.LeaseTime)
	}
	return errors.Join(errs...)
}

// Server answers DHCP on one interface.
type Server struct {
	cfg    Config
	leases *leases
	// state is the inventory and the chains built from it: SetInventory
	// swaps it whole, so a message is answered from one inventory.
	state atomic.Pointer[state]
}

// New checks cfg and makes a server; nothing listens until Serve.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.ServerIP.IsValid() {
		cfg.ServerIP = cfg.Inventory.Network.Server
	}
	if cfg.LeaseTime == 0 {
		cfg.LeaseTime = DefaultLeaseTime
	}
	s := &Server{cfg: cfg, leases: newLeases(time.Now)}
	s.SetInventory(cfg.Inventory)
	return s, nil
}

// SetInventory makes the server answer from inv from the next message on
// (SIGHUP). Leases from the pool are kept while the new range still holds
// them.
func (s *Server) SetInventory(inv *pxe.Inventory) {
	s.state.Store(newState(&s.cfg, inv, s.leases))
}

// Serve answers on iface until ctx is done, then returns nil: on port 67,
// and in proxy mode on port 4011 too. Sockets are bound to iface, so the
// server never answers on another link.
func (s *Server) Serve(ctx context.Context, iface string) error {
	ports := []int{ServerPort}
	if s.cfg.Mode == Proxy {
		ports = append(ports, PXEPort)
	}
	var servers []*server4.Server
	closeAll := func() {
		for _, srv := range servers {
			srv.Close()
		}
	}
	for _, port := range ports {
		conn, err := server4.NewIPv4UDPConn(iface, &net.UDPAddr{Port: port})
		if err != nil {
			closeAll()
			return fmt.Errorf("dhcp: listen on %s port %d: %w", iface, port, err)
		}
		srv, err := server4.NewServer(iface, nil, s.answerer(port), server4.WithConn(conn))
		if err != nil {
			conn.Close()
			closeAll()
			return fmt.Errorf("dhcp: %s port %d: %w", iface, port, err)
		}
		servers = append(servers, srv)
	}
	done := make(chan error, len(servers))
	for i, srv := range servers {
		go func() {
			if err := srv.Serve(); err != nil {
				done <- fmt.Errorf("dhcp: %s port %d: %w", iface, ports[i], err)
			}
		}()
	}
	select {
	case <-ctx.Done():
		closeAll()
		return nil
	case err := <-done:
		closeAll()
		return err
	}
}

// answerer is server4's handler for one port: run the port's chain, send
// the reply where server4 says the request came from (the broadcast
// address for a client without an address yet), report the exchange.
func (s *Server) answerer(port int) server4.Handler {
	return func(conn net.PacketConn, peer net.Addr, req *dhcpv4.DHCPv4) {
		resp := s.reply(port, req)
		if resp == nil {
			return
		}
		_, err := conn.WriteTo(resp.ToBytes(), peer)
		if err != nil {
			err = fmt.Errorf("dhcp: send %s to %s (%s): %w", resp.MessageType(), peer, req.ClientHWAddr, err)
		}
		if s.cfg.OnExchange != nil {
			s.cfg.OnExchange(exchange(port, req, resp, err))
		}
	}
}

// reply runs the chain of port on req: the reply to send, or nil.
func (s *Server) reply(port int, req *dhcpv4.DHCPv4) *dhcpv4.DHCPv4 {
	chain := s.state.Load().chains[port]
	if chain == nil || req.OpCode != dhcpv4.OpcodeBootRequest {
		return nil
	}
	resp, err := dhcpv4.NewReplyFromRequest(req)
	if err != nil {
		return nil
	}
	resp, _ = chain(req, resp)
	// A chain that decided nothing sends nothing.
	if resp == nil || resp.MessageType() == dhcpv4.MessageTypeNone {
		return nil
	}
	return resp
}

func exchange(port int, req, resp *dhcpv4.DHCPv4, err error) Exchange {
	e := Exchange{
		MAC:      req.ClientHWAddr,
		Port:     port,
		Request:  req.MessageType(),
		Reply:    resp.MessageType(),
		BootFile: resp.BootFileName,
		Err:      err,
	}
	if a, ok := netip.AddrFromSlice(resp.YourIPAddr.To4()); ok && !a.IsUnspecified() {
		e.IP = a
	}
	return e
}
