package pull

import (
	"context"
	"errors"
	"net/netip"

	"github.com/opencontainers/go-digest"

	"rambox/bundle"
	"rambox/ocibundle"
	"rambox/pxe"
	"rambox/tftproot"
)

// Options say which bundle to pull and how to lay it out.
type Options struct {
	VerifyOptions
	Root           string   // TFTP root directory
	Inventory      string   // nodes.yaml: one pxelinux.cfg/<HEXIP> per node (optional)
	Default        bool     // also write pxelinux.cfg/default (always, without Inventory)
	BootloaderDirs []string // where pxelinux.0 and ldlinux.c32 are (default Debian's)
}

// Validate reports every problem with o, each naming its flag.
func (o Options) Validate() error {
	var errs []error
	if o.Root == "" {
		errs = append(errs, errors.New("--tftp-root is required"))
	}
	return errors.Join(append(errs, o.VerifyOptions.Validate())...)
}

// Result is what a pull laid out.
type Result struct {
	Ref   ocibundle.Ref // pinned by digest
	Index digest.Digest // the index Ref was picked from, when the ref named one
	Dir   string        // the bundle's directory in the TFTP root
	Nodes []Node        // one per inventory node
}

// Node is one node's pxelinux config.
type Node struct {
	Name   string
	IP     netip.Addr
	Config string // its name under pxelinux.cfg/
}

// Pull fetches and verifies o.Ref, then installs it in o.Root as current.
// Everything is fetched and verified before the TFTP root is touched.
func Pull(ctx context.Context, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	check, err := o.Trust.verifier(o.Ref)
	if err != nil {
		return Result{}, err
	}
	var inv *pxe.Inventory
	if o.Inventory != "" {
		if inv, err = pxe.LoadInventory(o.Inventory); err != nil {
			return Result{}, err
		}
	}
	f, err := o.fetch(ctx, check)
	if err != nil {
		return Result{}, err
	}
	res, err := install(o, f, inv)
	res.Ref, res.Index = pinned(o.Ref, f), f.Index.Digest
	return res, err
}

// install lays f out in o.Root with a pxelinux config per node of inv (and
// the default one). It is the one place pull speaks pxe and tftproot.
func install(o Options, f *bundle.Fetched, inv *pxe.Inventory) (Result, error) {
	to := tftproot.Options{BootloaderDirs: o.BootloaderDirs}
	var res Result
	var err error
	if inv != nil {
		if to.NodeConfigs, err = pxe.NodeConfigs(f.Info.KernelCmdline, inv); err != nil {
			return res, err
		}
		for _, n := range inv.Nodes {
			h, _ := pxe.HexIP(n.IP)
			res.Nodes = append(res.Nodes, Node{Name: n.Name, IP: n.IP, Config: h})
		}
	}
	if o.Default || inv == nil {
		if to.DefaultConfig, err = pxe.PxelinuxConfig(f.Info.KernelCmdline); err != nil {
			return res, err
		}
	}
	res.Dir, err = tftproot.Install(o.Root, f, to)
	return res, err
}
