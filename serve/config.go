// Package serve is the boot server: it pulls and verifies one pinned
// bundle (or falls back to the last good one, re-verified from the state
// directory), and serves exactly those verified bytes over TFTP and HTTP,
// with DHCP in front. Read Run top to bottom.
package serve

import (
	"errors"
	"fmt"
	"net"

	"rambox/ocibundle"
	"rambox/pull"
)

// DHCP modes.
const (
	DHCPFull  = "full"  // hand out addresses (fixed for inventory MACs) and boot files
	DHCPProxy = "proxy" // PXE-only offers beside another DHCP server
	DHCPOff   = "off"   // someone else does DHCP and points clients here
)

// Config is everything one boot server depends on.
type Config struct {
	Bundle    ocibundle.Ref // pinned by digest
	Trust     pull.Trust
	Timeouts  ocibundle.Timeouts // for the registry
	Inventory string             // nodes.yaml, re-read on SIGHUP
	// State is serve's own directory: its lock and the last good bundle
	// (an OCI layout, re-verified at every start).
	State      string
	Interface  string   // the interface DHCP listens on
	DHCP       string   // DHCPFull, DHCPProxy or DHCPOff
	HTTPAddr   string   // host:port
	TFTPAddr   string   // host:port
	LoaderDirs []string // where the boot loaders are (default Debian's)
}

// Validate reports every problem with c, each naming its flag.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.Bundle == (ocibundle.Ref{}):
		errs = append(errs, errors.New("--bundle: no bundle reference"))
	case c.Bundle.Digest == "":
		// A boot server serves what was pinned, never where a tag points today.
		errs = append(errs, fmt.Errorf("--bundle %s: %w: pin it as ...@sha256:HEX", c.Bundle, ocibundle.ErrTagNotAllowed))
	}
	errs = append(errs, c.Trust.Validate())
	if c.Inventory == "" {
		errs = append(errs, errors.New("--inventory is required"))
	}
	if c.State == "" {
		errs = append(errs, errors.New("--state is required"))
	}
	switch c.DHCP {
	case DHCPFull, DHCPProxy:
		if c.Interface == "" {
			errs = append(errs, fmt.Errorf("--interface is required with --dhcp %s", c.DHCP))
		}
	case DHCPOff:
	default:
		errs = append(errs, fmt.Errorf("--dhcp %q: want %s, %s or %s", c.DHCP, DHCPFull, DHCPProxy, DHCPOff))
	}
	for _, a := range []struct{ flag, addr string }{{"--http", c.HTTPAddr}, {"--tftp", c.TFTPAddr}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", a.flag, a.addr, err))
		}
	}
	return errors.Join(errs...)
}
