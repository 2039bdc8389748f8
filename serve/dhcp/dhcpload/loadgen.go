// Package dhcpload is a DHCPv4 load generator: many simulated clients, each
// doing DISCOVER -> OFFER -> REQUEST -> ACK through one UDP socket on :68
// bound to one interface, replies told apart by transaction ID. It records
// each client's latencies and the address it was acked, and checks the
// answers (Check): no address acked to two MACs, every inventory MAC its
// fixed address, every client done.
//
// Run it where the clients' link is: in a network namespace of its own
// (ClientNetns), whose interface has no address, as a booting box's has
// none.
package dhcpload

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"
)

// Known is a client the inventory lists: it must be acked IP.
type Known struct {
	MAC net.HardwareAddr
	IP  netip.Addr
}

// Options is one load run.
type Options struct {
	Iface string // the clients' interface
	// Clients is how many clients run in all: the Known ones first, then
	// unknown ones with generated MACs (UnknownMAC).
	Clients     int
	Known       []Known
	Concurrency int           // clients in flight at once
	StepTimeout time.Duration // wait for one OFFER or ACK before resending
	Retries     int           // resends per step after the first send
	Timeout     time.Duration // the whole run; clients not done by then fail
}

// ErrOptions is wrapped by every problem Validate reports.
var ErrOptions = errors.New("dhcp load options")

// Validate reports every problem with o, each naming its field.
func (o *Options) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrOptions, field, fmt.Sprintf(format, a...)))
	}
	if o.Iface == "" {
		bad("Iface", "missing")
	}
	if o.Clients < 1 || o.Clients > 1<<24 {
		bad("Clients", "%d is not between 1 and %d", o.Clients, 1<<24)
	}
	if len(o.Known) > o.Clients {
		bad("Known", "%d inventory clients, more than the %d clients in all", len(o.Known), o.Clients)
	}
	for i, k := range o.Known {
		if len(k.MAC) != 6 || !k.IP.Is4() {
			bad("Known", "#%d: MAC %s, IP %s: want a 6-byte MAC and an IPv4 address", i+1, k.MAC, k.IP)
		}
	}
	if o.Concurrency < 1 {
		bad("Concurrency", "%d is less than 1", o.Concurrency)
	}
	if o.StepTimeout <= 0 {
		bad("StepTimeout", "%s is not positive", o.StepTimeout)
	}
	if o.Retries < 0 {
		bad("Retries", "%d is negative", o.Retries)
	}
	if o.Timeout <= 0 {
		bad("Timeout", "%s is not positive", o.Timeout)
	}
	return errors.Join(errs...)
}

// UnknownMAC is the i-th generated client's MAC: locally administered
// (02:...), so it is nobody's real address, and in no inventory.
func UnknownMAC(i int) net.HardwareAddr {
	return net.HardwareAddr{0x02, 0xd1, 0x0a, byte(i >> 16), byte(i >> 8), byte(i)}
}

// Client is one simulated client's outcome.
type Client struct {
	MAC   string     `json:"mac"`
	Known bool       `json:"known"` // listed in the inventory
	Want  netip.Addr `json:"want,omitzero"`
	IP    netip.Addr `json:"ip,omitzero"` // acked; zero when it failed
	// OfferMS is first DISCOVER sent -> OFFER received; DORAMS is first
	// DISCOVER sent -> ACK received (retries included in both).
	OfferMS float64 `json:"offer_ms,omitempty"`
	DORAMS  float64 `json:"dora_ms,omitempty"`
	Resends int     `json:"resends,omitempty"`
	Naks    int     `json:"naks,omitempty"`
	Err     string  `json:"err,omitempty"`
}

// Run runs the load on o.Iface and returns every client's outcome, in
// client order, and the run's wall time. An error is a run that could not
// start (options, socket); clients that failed are in the outcomes.
func Run(ctx context.Context, o Options) ([]Client, time.Duration, error) {
	if err := o.Validate(); err != nil {
		return nil, 0, err
	}
	conn, err := server4.NewIPv4UDPConn(o.Iface, &net.UDPAddr{Port: dhcpv4.ClientPort})
	if err != nil {
		return nil, 0, fmt.Errorf("dhcp load: socket on %s port %d: %w", o.Iface, dhcpv4.ClientPort, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	d := &demux{waiting: map[dhcpv4.TransactionID]chan *dhcpv4.DHCPv4{}}
	go d.read(conn)
	// Closing the socket ends the reader; at the deadline it also ends the
	// clients' waits (they select on ctx).
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()

	// Transaction IDs: a random base plus the client's index, so a run's
	// IDs are distinct and unlike another run's.
	base := rand.Uint32()
	out := make([]Client, o.Clients)
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range out {
		c := &out[i]
		var mac net.HardwareAddr
		if i < len(o.Known) {
			mac, c.Known, c.Want = o.Known[i].MAC, true, o.Known[i].IP
		} else {
			mac = UnknownMAC(i)
		}
		c.MAC = mac.String()
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			c.Err = fmt.Sprintf("not started: %v", context.Cause(ctx))
			continue
		}
		var xid dhcpv4.TransactionID
		binary.BigEndian.PutUint32(xid[:], base+uint32(i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			dora(ctx, conn, d, &o, mac, xid, c)
		}()
	}
	wg.Wait()
	return out, time.Since(start), nil
}

// Broadcast is where a client without an address sends (RFC 2131 4.1).
var broadcast = &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpv4.ServerPort}

// dora is one client's exchange; it fills in c.
func dora(ctx context.Context, conn net.PacketConn, d *demux, o *Options, mac net.HardwareAddr, xid dhcpv4.TransactionID, c *Client) {
	replies := d.register(xid)
	defer d.unregister(xid)
	fail := func(format string, a ...any) { c.Err = fmt.Sprintf(format, a...) }
	start := time.Now()
	disc, err := dhcpv4.NewDiscovery(mac, dhcpv4.WithTransactionID(xid))
	if err != nil {
		fail("DISCOVER: %v", err)
		return
	}
	offer, err := exchange(ctx, conn, o, disc, replies, dhcpv4.MessageTypeOffer, c)
	if err != nil {
		fail("DISCOVER: %v", err)
		return
	}
	c.OfferMS = ms(time.Since(start))
	req, err := dhcpv4.NewRequestFromOffer(offer)
	if err != nil {
		fail("REQUEST: %v", err)
		return
	}
	ack, err := exchange(ctx, conn, o, req, replies, dhcpv4.MessageTypeAck, c)
	if err != nil {
		fail("REQUEST for %s: %v", offer.YourIPAddr, err)
		return
	}
	c.DORAMS = ms(time.Since(start))
	c.IP, _ = netip.AddrFromSlice(ack.YourIPAddr.To4())
}

// exchange sends m and waits for a reply of type want, resending after
// each step timeout, up to o.Retries times. A NAK ends it.
func exchange(ctx context.Context, conn net.PacketConn, o *Options, m *dhcpv4.DHCPv4, replies <-chan *dhcpv4.DHCPv4, want dhcpv4.MessageType, c *Client) (*dhcpv4.DHCPv4, error) {
	b := m.ToBytes()
	for try := 0; try <= o.Retries; try++ {
		if try > 0 {
			c.Resends++
		}
		if _, err := conn.WriteTo(b, broadcast); err != nil {
			return nil, fmt.Errorf("send: %w", err)
		}
		t := time.NewTimer(o.StepTimeout)
	wait:
		for {
			select {
			case r := <-replies:
				if !bytes.Equal(r.ClientHWAddr, m.ClientHWAddr) {
					continue // our transaction ID, someone else's MAC: not for us
				}
				switch r.MessageType() {
				case want:
					t.Stop()
					return r, nil
				case dhcpv4.MessageTypeNak:
					t.Stop()
					c.Naks++
					return nil, fmt.Errorf("NAK: %s", r.Message())
				}
				// A late answer to an earlier step (another OFFER for a
				// resent DISCOVER): not this step's.
			case <-t.C:
				break wait
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("no %s: %w", want, context.Cause(ctx))
			}
		}
	}
	return nil, fmt.Errorf("no %s after %d sends %s apart", want, o.Retries+1, o.StepTimeout)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// demux hands each reply read from the one socket to the client waiting
// for its transaction ID.
type demux struct {
	mu      sync.Mutex
	waiting map[dhcpv4.TransactionID]chan *dhcpv4.DHCPv4
	strays  atomic.Int64 // replies nobody waits for, or unparseable
}

func (d *demux) register(xid dhcpv4.TransactionID) chan *dhcpv4.DHCPv4 {
	ch := make(chan *dhcpv4.DHCPv4, 8)
	d.mu.Lock()
	d.waiting[xid] = ch
	d.mu.Unlock()
	return ch
}

func (d *demux) unregister(xid dhcpv4.TransactionID) {
	d.mu.Lock()
	delete(d.waiting, xid)
	d.mu.Unlock()
}

// read runs until conn fails (closed, or its read deadline set).
func (d *demux) read(conn net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		m, err := dhcpv4.FromBytes(buf[:n])
		if err != nil || m.OpCode != dhcpv4.OpcodeBootReply {
			d.strays.Add(1)
			continue
		}
		d.mu.Lock()
		ch := d.waiting[m.TransactionID]
		d.mu.Unlock()
		if ch == nil {
			d.strays.Add(1)
			continue
		}
		select {
		case ch <- m:
		default: // a client flooded with duplicates: it has what it needs
		}
	}
}
