package desired

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"gopkg.in/yaml.v3"

	"rambox/ocibundle"
	"rambox/pull"
)

// file is serve.yaml as written; check turns it into a Config.
type file struct {
	Inventory string      `yaml:"inventory"`
	Groups    []groupFile `yaml:"groups"`
}

type groupFile struct {
	Name    string    `yaml:"name"`
	Bundle  string    `yaml:"bundle"`
	Nodes   []string  `yaml:"nodes"`
	Default bool      `yaml:"default"`
	Canary  []string  `yaml:"canary"`
	Promote string    `yaml:"promote"`
	Trust   trustFile `yaml:"trust"`
}

type trustFile struct {
	Key            string   `yaml:"key"`
	Keys           []string `yaml:"keys"`
	Threshold      int      `yaml:"threshold"`
	CertIdentity   string   `yaml:"certificate-identity"`
	CertIssuer     string   `yaml:"certificate-oidc-issuer"`
	SignedIdentity string   `yaml:"signed-identity"`
}

// Load reads serve.yaml at path and checks everything that needs no
// inventory: every problem is reported, each naming the file, the group
// and the field. Relative paths (inventory, oci: layouts, keys) are taken
// from path's directory and made absolute.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Unknown fields are errors: a misspelt `canray:` must not silently
	// roll a new digest out to the whole group.
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty", path)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	return f.check(path, dir)
}

// abs is p relative to dir, unless already absolute.
func abs(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

func (f *file) check(path, dir string) (*Config, error) {
	var errs []error
	bad := func(who, field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s%s: %s", path, who, field, fmt.Sprintf(format, a...)))
	}
	c := &Config{Path: path}
	if f.Inventory == "" {
		bad("", "inventory", "missing")
	} else {
		c.Inventory = abs(dir, f.Inventory)
	}
	if len(f.Groups) == 0 {
		bad("", "groups", "none listed")
	}
	names := map[string]int{}
	defaultGroup := ""
	for i, gf := range f.Groups {
		who := fmt.Sprintf("groups[%d] %q: ", i, gf.Name)
		g := Group{Name: gf.Name, Default: gf.Default, Nodes: gf.Nodes, Canary: gf.Canary}
		if g.Name == "" {
			who = fmt.Sprintf("groups[%d]: ", i)
			bad(who, "name", "missing")
		} else if j, dup := names[g.Name]; dup {
			bad(who, "name", "also groups[%d]'s", j)
		} else {
			names[g.Name] = i
		}
		if g.Default {
			if defaultGroup != "" {
				bad(who, "default", "group %q is the default group already", defaultGroup)
			} else {
				defaultGroup = g.Name
			}
		}
		g.Bundle = checkBundle(dir, gf.Bundle, func(format string, a ...any) { bad(who, "bundle", format, a...) })
		if len(g.Nodes) == 0 && !g.Default {
			bad(who, "nodes", "none listed (and not the default group)")
		}
		checkList(g.Nodes, func(format string, a ...any) { bad(who, "nodes", format, a...) })
		checkList(g.Canary, func(format string, a ...any) { bad(who, "canary", format, a...) })
		switch p := Promote(gf.Promote); p {
		case "":
			g.Promote = PromoteOnSuccess
		case PromoteOnSuccess, PromoteManual:
			g.Promote = p
		default:
			bad(who, "promote", "%q is neither %q nor %q", gf.Promote, PromoteOnSuccess, PromoteManual)
		}
		g.Trust = gf.Trust.check(dir, func(field, format string, a ...any) {
			if field != "" {
				field = "." + field
			}
			bad(who, "trust"+field, format, a...)
		})
		c.Groups = append(c.Groups, g)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// checkBundle parses a group's bundle ref, which must be pinned by
// digest: a tag would let whoever can push to it choose what boots.
func checkBundle(dir, s string, bad func(format string, a ...any)) ocibundle.Ref {
	if s == "" {
		bad("missing")
		return ocibundle.Ref{}
	}
	ref, err := ocibundle.ParseRef(s)
	if err != nil {
		bad("%v", err)
		return ocibundle.Ref{}
	}
	if ref.Digest == "" {
		bad("%q: no digest (pin it: REF@sha256:HEX, as rambox publish prints)", s)
		return ocibundle.Ref{}
	}
	if ref.Layout != "" {
		ref.Layout = abs(dir, ref.Layout)
	}
	return ref.Pinned()
}

// checkList refuses empty and repeated entries of a node list.
func checkList(list []string, bad func(format string, a ...any)) {
	for i, n := range list {
		switch {
		case n == "":
			bad("entry %d is empty", i)
		case slices.Index(list, n) < i:
			bad("%q listed twice", n)
		}
	}
}

// check turns a trust policy into a pull.Trust with absolute key paths;
// it must say exactly one of key, keys, certificate-identity.
func (t trustFile) check(dir string, bad func(field, format string, a ...any)) pull.Trust {
	var kinds []string
	if t.Key != "" {
		kinds = append(kinds, "key")
	}
	if len(t.Keys) > 0 {
		kinds = append(kinds, "keys")
	}
	if t.CertIdentity != "" || t.CertIssuer != "" {
		kinds = append(kinds, "certificate-identity")
	}
	switch len(kinds) {
	case 0:
		bad("", "missing: want one of key, keys (with threshold) or certificate-identity (with certificate-oidc-issuer)")
	case 1:
	default:
		bad("", "%q given together: want exactly one", kinds)
	}
	tr := pull.Trust{CertIdentity: t.CertIdentity, CertIssuer: t.CertIssuer, SignedIdentity: t.SignedIdentity, Threshold: t.Threshold}
	if t.Key != "" {
		tr.Key = abs(dir, t.Key)
	}
	if (t.CertIdentity == "") != (t.CertIssuer == "") {
		bad("certificate-identity", "and certificate-oidc-issuer go together")
	}
	if len(t.Keys) == 0 && t.Threshold != 0 {
		bad("threshold", "%d without keys", t.Threshold)
	}
	if len(t.Keys) > 0 {
		if t.Threshold < 0 || t.Threshold > len(t.Keys) {
			bad("threshold", "%d, want 1 to %d (the number of keys)", t.Threshold, len(t.Keys))
		}
		if t.Threshold == 0 {
			tr.Threshold = len(t.Keys) // all of them: the strict reading of a list of keys
		}
		for i, k := range t.Keys {
			if k == "" {
				bad("keys", "entry %d is empty", i)
				continue
			}
			p := abs(dir, k)
			if slices.Contains(tr.Keys, p) {
				bad("keys", "%q listed twice (it would count once)", k)
				continue
			}
			tr.Keys = append(tr.Keys, p)
		}
	}
	return tr
}
