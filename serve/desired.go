package serve

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"rambox/pxe"
	"rambox/serve/desired"
)

// DefaultGroup names the one group of a server started with --bundle or
// --bundle-file instead of --config: every node, and unknown clients.
const DefaultGroup = "default"

// wanted is one reading of the desired state: the groups, the inventory
// they select from, and which group each node is in.
type wanted struct {
	cfg    *desired.Config
	inv    *pxe.Inventory
	assign *desired.Assignment
}

// readDesired reads the desired state: serve.yaml with --config, else the
// one group the flags describe (--bundle or the ref in --bundle-file,
// --key..., --inventory). Every error names the file at fault.
func readDesired(cfg Config) (wanted, error) {
	d, err := desiredConfig(cfg)
	if err != nil {
		return wanted{}, err
	}
	inv, err := pxe.LoadInventory(d.Inventory)
	if err != nil {
		return wanted{}, fmt.Errorf("inventory %s: %w", d.Inventory, err)
	}
	assign, err := d.Resolve(inv)
	if err != nil {
		return wanted{}, fmt.Errorf("%s: %w", d.Path, err)
	}
	return wanted{cfg: d, inv: inv, assign: assign}, nil
}

func desiredConfig(cfg Config) (*desired.Config, error) {
	if cfg.ConfigFile != "" {
		return desired.Load(cfg.ConfigFile)
	}
	ref := cfg.Bundle
	if cfg.BundleFile != "" {
		var err error
		if ref, err = readBundleFile(cfg.BundleFile); err != nil {
			return nil, err
		}
	}
	return &desired.Config{
		Path:      "--inventory " + cfg.Inventory,
		Inventory: cfg.Inventory,
		Groups: []desired.Group{{
			Name: DefaultGroup, Bundle: ref, Default: true, Promote: desired.PromoteOnSuccess, Trust: cfg.Trust,
		}},
	}, nil
}

// watched are the files whose change triggers a reconcile, besides
// SIGHUP: the config (or bundle file) and the inventory.
func watched(cfg Config, w wanted) []string {
	files := []string{w.cfg.Inventory}
	for _, f := range []string{cfg.ConfigFile, cfg.BundleFile} {
		if f != "" {
			files = append(files, f)
		}
	}
	return files
}

// stamps are the files' sizes and mod times, to notice a change by
// polling: no inotify, so an editor's rename-into-place is seen too.
func stamps(files []string) string {
	s := ""
	for _, f := range files {
		if fi, err := os.Stat(filepath.Clean(f)); err == nil {
			s += fmt.Sprintf("%s %d %d\n", f, fi.Size(), fi.ModTime().UnixNano())
		} else {
			s += f + " missing\n"
		}
	}
	return s
}

// WatchInterval is how often serve checks its config files for a change.
const WatchInterval = time.Second
