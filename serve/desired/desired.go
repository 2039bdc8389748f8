// Package desired reads serve.yaml, the desired state of a fleet: which
// pinned bundle each group of nodes should boot, and whose signatures
// that bundle must carry.
//
//	inventory: nodes.yaml            # relative to serve.yaml's directory
//	groups:
//	  - name: web
//	    bundle: REG/REPO@sha256:HEX   # or oci:DIR@sha256:HEX, DIR relative to serve.yaml's
//	    nodes: [pxe01, "52:54:00:43:00:12"]   # inventory names or MACs
//	    canary: [pxe01]               # optional: boots a new digest first
//	    promote: on-success           # or manual; default on-success
//	    trust:                        # exactly one of key, keys, certificate-identity
//	      keys: [ci.pub, release.pub]
//	      threshold: 2                # 1..len(keys); default all of them
//	  - name: rest
//	    default: true                 # every node no other group selects
//	    bundle: ...
//	    trust: {key: cosign.pub}
//
// A node that no group selects, when there is no default group, is
// unassigned: it has no desired bundle, and serve gives it no boot.
package desired

import (
	"rambox/ocibundle"
	"rambox/pull"
)

// Promote says when the rest of a group follows its canaries to a new
// digest.
type Promote string

const (
	// PromoteOnSuccess moves the rest of the group once every canary's
	// boot report passes.
	PromoteOnSuccess Promote = "on-success"
	// PromoteManual leaves the rest of the group on the old digest until
	// an operator promotes it.
	PromoteManual Promote = "manual"
)

// Group is a set of nodes booting one pinned bundle.
type Group struct {
	Name    string
	Bundle  ocibundle.Ref // pinned by digest, without tag
	Nodes   []string      // as written: inventory names or MACs
	Default bool          // also every node no other group selects
	// Canary are the nodes that boot a new digest first: inventory names
	// once Resolve has run (as written before).
	Canary  []string
	Promote Promote    // never empty after Load
	Trust   pull.Trust // key paths absolute
	// Arch is the architecture of the group's nodes (pxe.ArchAMD64 or
	// ArchARM64), once Resolve has run: the platform a multi-arch index
	// is served as.
	Arch string
}

// Config is a loaded serve.yaml.
type Config struct {
	Path      string // the file it was read from
	Inventory string // absolute path of nodes.yaml
	Groups    []Group
}

// Group returns the group called name.
func (c *Config) Group(name string) (*Group, bool) {
	for i := range c.Groups {
		if c.Groups[i].Name == name {
			return &c.Groups[i], true
		}
	}
	return nil, false
}

// DefaultGroup returns the default group, if there is one.
func (c *Config) DefaultGroup() (*Group, bool) {
	for i := range c.Groups {
		if c.Groups[i].Default {
			return &c.Groups[i], true
		}
	}
	return nil, false
}
