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
	"net"
	"net/url"
	"path"
	"strings"

	"github.com/opencontainers/go-digest"

	"rambox/bundle"
	"rambox/pxe"
	"rambox/tftproot"
)

// Options say how a View's scripts reach the HTTP server.
type Options struct {
	// HTTPBase is the absolute http:// URL the iPXE scripts name the
	// bundle's files under, e.g. http://192.168.24.1:8080.
	HTTPBase string
}

// Validate reports every problem with o, each naming its field.
func (o Options) Validate() error {
	u, err := url.Parse(o.HTTPBase)
	switch {
	case o.HTTPBase == "":
		return errors.New("bootfs: Options.HTTPBase is required")
	case err != nil:
		return fmt.Errorf("bootfs: Options.HTTPBase: %w", err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.User != nil, u.RawQuery != "", u.Fragment != "":
		return fmt.Errorf("bootfs: Options.HTTPBase %q is not an http:// URL of a host (and optional path)", o.HTTPBase)
	}
	return nil
}

// View is one verified bundle ready to serve. It never changes after New.
type View struct {
	digest digest.Digest
	files  map[string]*file // by clean relative name
	dirs   map[string][]string
	// unknown says whether clients not in the inventory get the default
	// pxelinux config and script.
	unknown bool
	scripts map[string]string // lower-case MAC -> its script's name
}

// ErrUnknownNode is returned by Script for a MAC not in the inventory
// when unknown clients are not allowed.
var ErrUnknownNode = errors.New("not in the inventory")

// New builds the View of b, which must be a bundle verified by the pull
// library (its Files are the verified bytes), with the boot loaders read
// from l and a pxelinux config and iPXE script per node of inv. It copies
// every byte it serves.
func New(b *bundle.Fetched, inv *pxe.Inventory, l Loaders, o Options) (*View, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if b == nil || b.Info == nil || inv == nil {
		return nil, errors.New("bootfs: a verified bundle and an inventory are required")
	}
	if err := b.Manifest.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("bootfs: bundle digest %q: %w", b.Manifest.Digest, err)
	}
	// pull checked it already; the View writes it into every config and
	// script, so it checks again rather than trust every caller did.
	if err := b.Info.Validate(); err != nil {
		return nil, fmt.Errorf("bootfs: bundle %s: %w", b.Manifest.Digest, err)
	}
	for _, name := range []string{bundle.Kernel, bundle.Initramfs} {
		if _, ok := b.Files[name]; !ok {
			return nil, fmt.Errorf("bootfs: bundle %s has no %s", b.Manifest.Digest, name)
		}
	}
	loaders, err := l.read()
	if err != nil {
		return nil, fmt.Errorf("bootfs: %w", err)
	}
	v := &View{
		digest:  b.Manifest.Digest,
		files:   map[string]*file{},
		unknown: inv.Network.AllowUnknown,
		scripts: map[string]string{},
	}
	for name, data := range loaders {
		v.add(name, data)
	}
	hex := v.digest.Encoded()
	for name, data := range b.Files {
		if !fs.ValidPath(name) || strings.Contains(name, "/") || name == "." {
			return nil, fmt.Errorf("bootfs: bundle %s: file name %q is not one path element", v.digest, name)
		}
		v.add(BundlePath(hex, name), data)
	}
	v.add(BundlePath(hex, bundle.InfoFile), b.InfoJSON)
	if err := v.addConfigs(b.Info.KernelCmdline, inv, strings.TrimSuffix(o.HTTPBase, "/")); err != nil {
		return nil, fmt.Errorf("bootfs: bundle %s: %w", v.digest, err)
	}
	v.dirs = dirsOf(v.files)
	return v, nil
}

// addConfigs renders the pxelinux configs and iPXE scripts of inv, naming
// this View's bundle paths: relative ones for pxelinux (TFTP), URLs under
// base for iPXE.
func (v *View) addConfigs(cmdline string, inv *pxe.Inventory, base string) error {
	hex := v.digest.Encoded()
	tftp := pxe.Paths{Kernel: BundlePath(hex, bundle.Kernel), Initramfs: BundlePath(hex, bundle.Initramfs)}
	http := pxe.Paths{Kernel: base + "/" + tftp.Kernel, Initramfs: base + "/" + tftp.Initramfs}
	configs, err := pxe.NodeConfigsAt(tftp, cmdline, inv)
	if err != nil {
		return err
	}
	for name, c := range configs {
		v.add(path.Join(tftproot.ConfigDir, name), []byte(c))
	}
	for _, n := range inv.Nodes {
		s, err := pxe.IPXEScript(http, pxe.NodeCmdline(cmdline, n, &inv.Network))
		if err != nil {
			return fmt.Errorf("node %q: %w", n.Name, err)
		}
		name := ScriptName(n.MAC)
		v.add(name, []byte(s))
		v.scripts[n.MAC.String()] = name
	}
	if !v.unknown {
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

// add puts a copy of data in the View under name.
func (v *View) add(name string, data []byte) {
	sum := sha256.Sum256(data)
	v.files[name] = &file{name: name, data: append([]byte(nil), data...), sha256: hex.EncodeToString(sum[:])}
}

// Digest is the bundle's manifest digest.
func (v *View) Digest() digest.Digest { return v.digest }

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
