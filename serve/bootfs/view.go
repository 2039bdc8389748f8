// Package bootfs is the one view of verified content that rambox serve's
// TFTP and HTTP servers read: an immutable in-memory fs.FS holding exactly
// the bytes of one verified bundle, the boot loaders read once, and the
// pxelinux configs and iPXE scripts rendered for the inventory. Nothing is
// read from disk after New, so a file changed on disk after verification
// cannot go out, and a name not in the View (a symlink, ../, an absolute
// path) does not exist for the servers.
//
// The bundle's files are named by its manifest digest, bundles/<hex>/<file>,
// and every config and script names those paths: a client that got its
// config from one View can only load that View's kernel and initramfs.
package bootfs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"

	"rambox/bundle"
	"rambox/ocibundle"
	"rambox/pxe"
	"rambox/tftproot"
)

// Options say how a View's scripts reach the HTTP server.
type Options struct {
	// HTTPBase is the absolute http:// URL the iPXE scripts name the
	// bundle's files under, e.g. http://192.168.24.1:8080.
	HTTPBase string
	// ReportURL, when set, is the URL each node's /init posts its
	// selftest report to: every command line gets rambox.report=ReportURL.
	ReportURL string
}

// Validate reports every problem with o, each naming its field.
func (o Options) Validate() error {
	var errs []error
	if o.HTTPBase == "" {
		errs = append(errs, errors.New("bootfs: Options.HTTPBase is required"))
	} else if err := checkHTTPURL(o.HTTPBase); err != nil {
		errs = append(errs, fmt.Errorf("bootfs: Options.HTTPBase: %w", err))
	}
	if o.ReportURL != "" {
		if err := checkHTTPURL(o.ReportURL); err != nil {
			errs = append(errs, fmt.Errorf("bootfs: Options.ReportURL: %w", err))
		} else if strings.ContainsAny(o.ReportURL, " \t\"") {
			errs = append(errs, fmt.Errorf("bootfs: Options.ReportURL %q: a command line word cannot hold spaces or quotes", o.ReportURL))
		}
	}
	return errors.Join(errs...)
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.User != nil, u.RawQuery != "", u.Fragment != "":
		return fmt.Errorf("%q is not an http:// URL of a host (and optional path)", s)
	}
	return nil
}

// Command line words serve adds to every node's: the digest it was given,
// which /init reports back, and where to report.
const (
	CmdlineBundle = "rambox.bundle="
	CmdlineReport = "rambox.report="
)

// Serving is what a View serves: verified bundles, and which one each
// node boots.
type Serving struct {
	// Bundles are every bundle the View carries, each verified by the
	// pull library. One that no node boots is still served under its
	// digest paths: a client that read its config before a switch can
	// still load what that config names.
	Bundles []*bundle.Fetched
	// Nodes maps an inventory node's name to the digest it boots. A node
	// not in it gets no config and no script.
	Nodes map[string]digest.Digest
	// Unknown is what clients not in the inventory boot, when the
	// inventory allows them, by their architecture (pxe.ArchAMD64,
	// ArchARM64: DHCP option 93 tells them apart); an architecture not in
	// it gets nothing.
	Unknown map[string]digest.Digest
}

// One is the Serving of b alone, to every node of inv and to unknown
// clients (when inv allows them).
func One(b *bundle.Fetched, inv *pxe.Inventory) Serving {
	s := Serving{Bundles: []*bundle.Fetched{b}, Nodes: map[string]digest.Digest{}}
	if b == nil || inv == nil {
		return s
	}
	for _, n := range inv.Nodes {
		s.Nodes[n.Name] = b.Manifest.Digest
	}
	if a, err := ocibundle.PlatformArch(b.Info.Arch); err == nil {
		s.Unknown = map[string]digest.Digest{a: b.Manifest.Digest}
	}
	return s
}

// View is verified bundles ready to serve. It never changes after New.
type View struct {
	bundles map[digest.Digest]*bundle.Fetched
	nodes   map[string]digest.Digest // node name -> the digest it boots
	files   map[string]*file         // by clean relative name
	dirs    map[string][]string
	// unknown says whether x86 clients not in the inventory get the
	// default pxelinux config and iPXE script.
	unknown bool
	scripts map[string]string // lower-case MAC -> its script's name
	// ukis maps each node's UKIName to the digest of the bundle whose
	// UKI it is.
	ukis map[string]digest.Digest
}

// ErrUnknownNode is returned by Script for a MAC not in the inventory
// when unknown clients are not allowed.
var ErrUnknownNode = errors.New("not in the inventory")

// New builds the View of s for inv: every bundle of s, which must have been
// verified by the pull library (their Files are the verified bytes), the
// boot loaders read from l, and a pxelinux config and iPXE script per node
// naming its bundle's paths. It copies every byte it serves.
func New(s Serving, inv *pxe.Inventory, l Loaders, o Options) (*View, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(s.Bundles) == 0 || inv == nil {
		return nil, errors.New("bootfs: a verified bundle and an inventory are required")
	}
	loaders, err := l.read()
	if err != nil {
		return nil, fmt.Errorf("bootfs: %w", err)
	}
	v := &View{
		bundles: map[digest.Digest]*bundle.Fetched{},
		nodes:   map[string]digest.Digest{},
		files:   map[string]*file{},
		unknown: inv.Network.AllowUnknown && s.Unknown[pxe.ArchAMD64] != "",
		scripts: map[string]string{},
		ukis:    map[string]digest.Digest{},
	}
	for name, data := range loaders {
		v.add(name, data)
	}
	for _, b := range s.Bundles {
		if err := v.addBundle(b); err != nil {
			return nil, err
		}
	}
	for name, d := range s.Nodes {
		if _, ok := v.bundles[d]; !ok {
			return nil, fmt.Errorf("bootfs: node %q: bundle %s is not among the View's bundles", name, d)
		}
		v.nodes[name] = d
	}
	for a, d := range s.Unknown {
		if _, ok := v.bundles[d]; !ok {
			return nil, fmt.Errorf("bootfs: unknown %s clients' bundle %s is not among the View's bundles", a, d)
		}
	}
	if err := v.addConfigs(inv, s.Unknown, o); err != nil {
		return nil, err
	}
	v.dirs = dirsOf(v.files)
	return v, nil
}

// addBundle adds b's files under bundles/<hex>/; a digest added already
// is skipped.
func (v *View) addBundle(b *bundle.Fetched) error {
	if b == nil || b.Info == nil {
		return errors.New("bootfs: a verified bundle is required")
	}
	d := b.Manifest.Digest
	if err := d.Validate(); err != nil {
		return fmt.Errorf("bootfs: bundle digest %q: %w", d, err)
	}
	if _, ok := v.bundles[d]; ok {
		return nil
	}
	// pull checked it already; the View writes it into every config and
	// script, so it checks again rather than trust every caller did.
	if err := b.Info.Validate(); err != nil {
		return fmt.Errorf("bootfs: bundle %s: %w", d, err)
	}
	for _, name := range []string{b.Info.KernelFile(), bundle.Initramfs} {
		if _, ok := b.Files[name]; !ok {
			return fmt.Errorf("bootfs: bundle %s has no %s", d, name)
		}
	}
	hex := d.Encoded()
	for name, data := range b.Files {
		if !fs.ValidPath(name) || strings.Contains(name, "/") || name == "." {
			return fmt.Errorf("bootfs: bundle %s: file name %q is not one path element", d, name)
		}
		v.add(BundlePath(hex, name), data)
	}
	v.add(BundlePath(hex, bundle.InfoFile), b.InfoJSON)
	v.bundles[d] = b
	return nil
}

// bootPaths name bundle d's kernel and initramfs: relative ones for
// pxelinux and GRUB (TFTP), URLs under base for iPXE.
func (v *View) bootPaths(d digest.Digest, base string) (tftp, http pxe.Paths) {
	tftp = pxe.Paths{Kernel: BundlePath(d.Encoded(), v.bundles[d].Info.KernelFile()), Initramfs: BundlePath(d.Encoded(), bundle.Initramfs)}
	http = pxe.Paths{Kernel: base + "/" + tftp.Kernel, Initramfs: base + "/" + tftp.Initramfs}
	return tftp, http
}

// cmdline is what a client booting bundle d runs: the bundle's command
// line (with the node's changes, for a node), then serve's own words.
func (v *View) cmdline(d digest.Digest, n *pxe.Node, nw *pxe.Network, o Options) string {
	c := v.bundles[d].Info.KernelCmdline
	if n != nil {
		c = pxe.NodeCmdline(c, *n, nw)
	}
	c += " " + CmdlineBundle + d.String()
	if o.ReportURL != "" {
		c += " " + CmdlineReport + o.ReportURL
	}
	return c
}

// addConfigs renders the pxelinux config and iPXE script (or GRUB
// config) of every node given a bundle, and the default ones for unknown
// clients.
func (v *View) addConfigs(inv *pxe.Inventory, unknown map[string]digest.Digest, o Options) error {
	base := strings.TrimSuffix(o.HTTPBase, "/")
	grub := false // some node boots through GRUB: serve its dispatcher
	for i := range inv.Nodes {
		n := &inv.Nodes[i]
		d, ok := v.nodes[n.Name]
		if !ok {
			continue
		}
		if err := v.checkArch(n, d); err != nil {
			return err
		}
		tftp, http := v.bootPaths(d, base)
		cmdline := v.cmdline(d, n, &inv.Network, o)
		if n.Boot == pxe.BootGRUB {
			c, err := pxe.GrubConfig(tftp, cmdline)
			if err != nil {
				return fmt.Errorf("bootfs: node %q: bundle %s: %w", n.Name, d, err)
			}
			v.add(GrubName(n.MAC), []byte(c))
			grub = true
			continue
		}
		h, err := pxe.HexIP(n.IP)
		if err != nil {
			return fmt.Errorf("bootfs: node %q: ip: %w", n.Name, err)
		}
		c, err := pxe.PxelinuxConfigAt(tftp, cmdline)
		if err != nil {
			return fmt.Errorf("bootfs: node %q: bundle %s: %w", n.Name, d, err)
		}
		v.add(path.Join(tftproot.ConfigDir, h), []byte(c))
		var s string
		if n.Boot == pxe.BootUKI {
			s, err = v.addUKI(n, d, base, cmdline)
		} else {
			s, err = pxe.IPXEScript(http, cmdline)
		}
		if err != nil {
			return fmt.Errorf("bootfs: node %q: bundle %s: %w", n.Name, d, err)
		}
		name := ScriptName(n.MAC)
		v.add(name, []byte(s))
		v.scripts[n.MAC.String()] = name
	}
	if !inv.Network.AllowUnknown {
		unknown = nil
	}
	for _, a := range slices.Sorted(maps.Keys(unknown)) {
		d := unknown[a]
		if got, err := ocibundle.PlatformArch(v.bundles[d].Info.Arch); err != nil || got != a {
			return fmt.Errorf("bootfs: unknown %s clients: bundle %s is %s, which %w", a, d, got, ErrArchMismatch)
		}
		tftp, http := v.bootPaths(d, base)
		cmdline := v.cmdline(d, nil, &inv.Network, o)
		if err := v.addDefaults(a, tftp, http, cmdline); err != nil {
			return fmt.Errorf("bootfs: unknown %s clients: bundle %s: %w", a, d, err)
		}
		grub = grub || a == pxe.ArchARM64
	}
	if grub {
		v.add(GrubDispatch, []byte(grubDispatch))
	}
	return nil
}

// addDefaults adds the configs clients of arch a that are not in the
// inventory read: pxelinux's default config and the default iPXE script
// on amd64, GRUB's default config on arm64.
func (v *View) addDefaults(a string, tftp, http pxe.Paths, cmdline string) error {
	if a == pxe.ArchARM64 {
		c, err := pxe.GrubConfig(tftp, cmdline)
		if err != nil {
			return err
		}
		v.add(GrubDefault, []byte(c))
		return nil
	}
	c, err := pxe.PxelinuxConfigAt(tftp, cmdline)
	if err != nil {
		return err
	}
	v.add(path.Join(tftproot.ConfigDir, DefaultConfig), []byte(c))
	s, err := pxe.IPXEScript(http, cmdline)
	if err != nil {
		return err
	}
	v.add(DefaultScript, []byte(s))
	return nil
}

// ErrArchMismatch is returned by New for a node, or the unknown clients
// of an architecture, given a bundle of another architecture.
var ErrArchMismatch = errors.New("is not the client's architecture")

// checkArch refuses to give node n bundle d of another architecture: its
// firmware could not run the kernel.
func (v *View) checkArch(n *pxe.Node, d digest.Digest) error {
	a, err := ocibundle.PlatformArch(v.bundles[d].Info.Arch)
	if err != nil {
		return fmt.Errorf("bootfs: node %q: bundle %s: %w", n.Name, d, err)
	}
	if a != n.Arch {
		return fmt.Errorf("bootfs: node %q (arch %s): bundle %s is %s, which %w", n.Name, n.Arch, d, a, ErrArchMismatch)
	}
	return nil
}

// grubDispatch is GrubDispatch's text: it loads the client's GrubName,
// and when there is none (a client not in the inventory, or a node given
// no bundle) GrubDefault, as pxelinux falls back to its default config.
// (GRUB goes on past a configfile whose file is missing; a config it
// found never returns: GrubConfig restarts a client whose boot failed.)
// A client with neither is told so on its console and restarts, rather
// than waiting at GRUB's prompt. GRUB's $prefix is
// (tftp,SERVER)/GrubConfigDir, so $prefix/<mac>.cfg is GrubName.
var grubDispatch = "# rambox serve: each arm64 node's own config is " + tftproot.GrubConfigDir + "/<mac>.cfg, else " + GrubDefault + "\n" +
	"set timeout=0\n" +
	"configfile $prefix/${net_default_mac}.cfg\n" +
	"configfile $prefix/" + path.Base(GrubDefault) + "\n" +
	"echo \"rambox: this server has no GRUB config for ${net_default_mac}\"\n" +
	"sleep 10\n" +
	"reboot\n"

// ErrNoUKI is returned by New for a node that boots a UKI (boot: uki)
// given a bundle without one.
var ErrNoUKI = errors.New("has no " + bundle.UKI + " (build it from a profile with the EFI stub)")

// addUKI serves bundle d's UKI as node n's UKIName and returns n's iPXE
// script, which chains to the UKI's digest path under base.
func (v *View) addUKI(n *pxe.Node, d digest.Digest, base, cmdline string) (string, error) {
	uki, ok := v.bundles[d].Files[bundle.UKI]
	if !ok {
		return "", fmt.Errorf("boot %s: %w", pxe.BootUKI, ErrNoUKI)
	}
	name := UKIName(n.MAC)
	v.add(name, uki)
	v.ukis[name] = d
	_, http := v.bootPaths(d, base)
	return pxe.IPXEUKIScript(http, base+"/"+BundlePath(d.Encoded(), bundle.UKI), cmdline)
}

// UKIDigest is the digest of the bundle whose UKI the View serves as
// name, a node's UKIName. (Digest paths name their bundle themselves.)
func (v *View) UKIDigest(name string) (digest.Digest, bool) {
	d, ok := v.ukis[name]
	return d, ok
}

// add puts a copy of data in the View under name.
func (v *View) add(name string, data []byte) {
	sum := sha256.Sum256(data)
	v.files[name] = &file{name: name, data: append([]byte(nil), data...), sha256: hex.EncodeToString(sum[:])}
}

// Digests are the digests of the View's bundles, sorted.
func (v *View) Digests() []digest.Digest {
	ds := make([]digest.Digest, 0, len(v.bundles))
	for d := range v.bundles {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds
}

// DigestOf is the digest the named inventory node boots.
func (v *View) DigestOf(node string) (digest.Digest, bool) {
	d, ok := v.nodes[node]
	return d, ok
}

// FS is the View as a read-only fs.FS.
func (v *View) FS() fs.FS { return viewFS{v} }

// Names are the names of the View's files, sorted.
func (v *View) Names() []string { return sortedKeys(v.files) }

// SHA256 is the hex sha256 of the named file's bytes, for ETags.
func (v *View) SHA256(name string) (string, bool) {
	f, ok := v.files[name]
	if !ok {
		return "", false
	}
	return f.sha256, true
}

// ScriptName is the name of the script for the client with MAC mac: its
// own, or DefaultScript when unknown clients are allowed. The error names
// the MAC and wraps ErrUnknownNode.
func (v *View) ScriptName(mac net.HardwareAddr) (string, error) {
	if name, ok := v.scripts[mac.String()]; ok {
		return name, nil
	}
	if v.unknown {
		return DefaultScript, nil
	}
	return "", fmt.Errorf("bootfs: MAC %s: %w", mac, ErrUnknownNode)
}

// Script is the iPXE script for the client with MAC mac, naming absolute
// HTTP URLs of this View's kernel and initramfs.
func (v *View) Script(mac net.HardwareAddr) ([]byte, error) {
	name, err := v.ScriptName(mac)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), v.files[name].data...), nil
}
