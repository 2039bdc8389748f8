package desired

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"rambox/pxe"
)

// Assignment is which group each inventory node belongs to.
type Assignment struct {
	group      map[string]string   // node name -> group name
	members    map[string][]string // group name -> sorted node names
	unassigned []string
}

// GroupOf returns the group node (an inventory name) belongs to; false
// when it is unassigned.
func (a *Assignment) GroupOf(node string) (string, bool) {
	g, ok := a.group[node]
	return g, ok
}

// Members returns the sorted names of group's nodes.
func (a *Assignment) Members(group string) []string { return slices.Clone(a.members[group]) }

// Unassigned returns the sorted names of nodes no group selects (only
// when there is no default group): serve gives them no boot.
func (a *Assignment) Unassigned() []string { return slices.Clone(a.unassigned) }

// Resolve checks the groups' selectors against inv and assigns every
// inventory node to at most one group: a name or MAC the inventory does
// not list, a node two groups select, or a canary outside its group is an
// error naming the file, group and field. On success each group's Canary
// holds inventory names (a MAC written there is replaced by its node's
// name), so Resolve can run again with the same result.
func (c *Config) Resolve(inv *pxe.Inventory) (*Assignment, error) {
	byName := map[string]string{}
	byMAC := map[string]string{}
	for _, n := range inv.Nodes {
		byName[n.Name] = n.Name
		byMAC[n.MAC.String()] = n.Name
	}
	// lookup finds the node a selector names: a MAC (any case) or a name.
	lookup := func(sel string) (string, bool) {
		if strings.Contains(sel, ":") {
			n, ok := byMAC[strings.ToLower(sel)]
			return n, ok
		}
		n, ok := byName[sel]
		return n, ok
	}
	var errs []error
	bad := func(i int, g *Group, field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: groups[%d] %q: %s: %s", c.Path, i, g.Name, field, fmt.Sprintf(format, a...)))
	}
	a := &Assignment{group: map[string]string{}, members: map[string][]string{}}
	defaultGroup := ""
	for i := range c.Groups {
		g := &c.Groups[i]
		if g.Default {
			if defaultGroup != "" {
				bad(i, g, "default", "group %q is the default group already", defaultGroup)
			}
			defaultGroup = g.Name
		}
		for _, sel := range g.Nodes {
			n, ok := lookup(sel)
			switch prev, taken := a.group[n]; {
			case !ok:
				bad(i, g, "nodes", "%q is not in the inventory %s", sel, c.Inventory)
			case taken && prev == g.Name:
				bad(i, g, "nodes", "%q is node %s, listed already", sel, n)
			case taken:
				bad(i, g, "nodes", "%q (node %s) is in group %q too", sel, n, prev)
			default:
				a.group[n] = g.Name
			}
		}
	}
	for _, n := range inv.Nodes {
		if _, ok := a.group[n.Name]; ok {
			continue
		}
		if defaultGroup == "" {
			a.unassigned = append(a.unassigned, n.Name)
		} else {
			a.group[n.Name] = defaultGroup
		}
	}
	for n, g := range a.group {
		a.members[g] = append(a.members[g], n)
	}
	for _, m := range a.members {
		slices.Sort(m)
	}
	slices.Sort(a.unassigned)
	// A group boots one architecture: the platform it picks from a
	// multi-arch index. Two groups may pin the same index.
	archOf := map[string]string{}
	for _, n := range inv.Nodes {
		archOf[n.Name] = n.Arch
	}
	arches := make([]string, len(c.Groups))
	for i := range c.Groups {
		g := &c.Groups[i]
		members := a.members[g.Name]
		arches[i] = pxe.ArchAMD64
		if len(members) > 0 {
			arches[i] = archOf[members[0]]
		}
		if j := slices.IndexFunc(members, func(n string) bool { return archOf[n] != arches[i] }); j >= 0 {
			bad(i, g, "nodes", "node %s is %s, node %s is %s: a group boots one architecture (two groups may pin the same index)", members[0], arches[i], members[j], archOf[members[j]])
		}
	}
	canaries := make([][]string, len(c.Groups))
	for i := range c.Groups {
		g := &c.Groups[i]
		for _, sel := range g.Canary {
			n, ok := lookup(sel)
			switch {
			case !ok:
				bad(i, g, "canary", "%q is not in the inventory %s", sel, c.Inventory)
			case a.group[n] != g.Name:
				bad(i, g, "canary", "%q (node %s) is not in this group", sel, n)
			case slices.Contains(canaries[i], n):
				bad(i, g, "canary", "%q is node %s, listed already", sel, n)
			default:
				canaries[i] = append(canaries[i], n)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for i := range c.Groups {
		c.Groups[i].Canary = canaries[i]
		c.Groups[i].Arch = arches[i]
	}
	return a, nil
}
