// Package serve is the boot server: for each node group of the desired
// state (serve.yaml, or the one group the flags describe) it pulls and
// verifies the pinned bundle (or falls back to the group's last good one,
// re-verified from the state directory), and serves exactly those
// verified bytes over TFTP and HTTP, with DHCP in front. A reconcile loop
// moves groups to new digests (through canaries) in the background; an
// observer records what each node did (the record store, metrics) and
// answers the status page. Read Run top to bottom; desired.go, fleet.go,
// reconcile.go and observe.go are its parts.
package serve

import (
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"strings"

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
	// ConfigFile, instead of Bundle or BundleFile, Trust and Inventory,
	// is serve.yaml: node groups, each with its pinned bundle and trust
	// (package desired). It is re-read on SIGHUP and when it changes.
	ConfigFile string
	Bundle     ocibundle.Ref // pinned by digest
	// BundleFile, instead of Bundle, holds the pinned ref; it is re-read
	// on SIGHUP, and a new ref there switches the served bundle.
	BundleFile string
	Trust      pull.Trust
	Timeouts   ocibundle.Timeouts // for the registry
	Inventory  string             // nodes.yaml, re-read on SIGHUP
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
	case c.ConfigFile != "":
		if c.Bundle != (ocibundle.Ref{}) || c.BundleFile != "" || c.Inventory != "" || !reflect.DeepEqual(c.Trust, pull.Trust{}) {
			errs = append(errs, errors.New("--config: serve.yaml names the bundles, their trust and the inventory; give none of --bundle, --bundle-file, --key, --certificate-identity or --inventory with it"))
		}
	case c.Bundle == (ocibundle.Ref{}) && c.BundleFile == "":
		errs = append(errs, errors.New("--bundle: no bundle reference (or --bundle-file)"))
	case c.Bundle != (ocibundle.Ref{}) && c.BundleFile != "":
		errs = append(errs, errors.New("--bundle and --bundle-file: give one"))
	case c.BundleFile == "":
		errs = append(errs, checkPinned("--bundle", c.Bundle))
	}
	if c.ConfigFile == "" {
		errs = append(errs, c.Trust.Validate())
		if c.Inventory == "" {
			errs = append(errs, errors.New("--inventory is required"))
		}
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

// checkPinned refuses a ref without digest: a boot server serves what was
// pinned, never where a tag points today.
func checkPinned(flag string, r ocibundle.Ref) error {
	if r.Digest == "" {
		return fmt.Errorf("%s %s: %w: pin it as ...@sha256:HEX", flag, r, ocibundle.ErrTagNotAllowed)
	}
	return nil
}

// readBundleFile reads the pinned ref in file (one line).
func readBundleFile(file string) (ocibundle.Ref, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return ocibundle.Ref{}, fmt.Errorf("--bundle-file: %w", err)
	}
	r, err := ocibundle.ParseRef(strings.TrimSpace(string(b)))
	if err != nil {
		return ocibundle.Ref{}, fmt.Errorf("--bundle-file %s: %w", file, err)
	}
	return r, checkPinned("--bundle-file "+file+":", r)
}
