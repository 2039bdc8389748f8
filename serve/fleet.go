package serve

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"

	"rambox/ocibundle"
	"rambox/pxe"
	"rambox/serve/bootfs"
	"rambox/serve/desired"
	"rambox/serve/status"
)

// Reconcile states of a group, as the status page and metrics show them.
const (
	StatePulling = "pulling" // a new digest is being pulled and verified
	StateServing = "serving" // every member boots the desired digest
	StateCanary  = "canary"  // the canaries boot the new digest, the rest the old
	StateFailed  = "failed"  // the desired digest is not served; Reason says why
)

// group is one group's observed state: what its members boot, and how
// far its rollout to the desired digest has come.
type group struct {
	spec desired.Group // as last read

	serving  *pulled   // what its members boot (and unknown clients, for the default group)
	previous *pulled   // the rollback: what they booted before; still served to clients mid-boot
	canary   *pulled   // the new digest, booted by spec.Canary only
	since    time.Time // when the canary started
	passed   map[string]bool

	rejected digest.Digest // a digest whose canary failed: not tried again until the config names another
	pulling  bool
	state    string
	reason   string
	changed  time.Time // when state last changed
}

func (g *group) set(state, reason string) {
	if g.state != state || g.reason != reason {
		g.changed = time.Now()
	}
	g.state, g.reason = state, reason
}

// digestOf is the digest a group's config names for v: its index's,
// when v was picked from one, else its manifest's.
func digestOf(v *pulled) digest.Digest {
	if v == nil {
		return ""
	}
	if v.Bundle.Index.Digest != "" {
		return v.Bundle.Index.Digest
	}
	return v.Bundle.Manifest.Digest
}

// bootDigest is the digest a node booting v is given and reports back
// (rambox.bundle=): its manifest's, which names its files in the View,
// also when v was picked from an index.
func bootDigest(v *pulled) digest.Digest {
	if v == nil {
		return ""
	}
	return v.Bundle.Manifest.Digest
}

// needs reports whether g must pull its desired digest: it is neither
// served, nor under canary, nor refused by a canary, nor on its way.
func (g *group) needs() bool {
	want := g.spec.Bundle.Digest
	return !g.pulling && want != digestOf(g.serving) && want != digestOf(g.canary) && want != g.rejected
}

// fleet is every group's state and the View they make together. Its
// methods are safe for the reconcile loop, the report handler and the
// status page at once.
type fleet struct {
	mu     sync.Mutex
	want   wanted
	groups map[string]*group
	// configErr is why the last reading of the desired state was
	// refused (the previous one is still in force).
	configErr string
}

// adopt makes w the desired state: groups are added, updated or dropped
// to match it. It returns the groups that must pull.
func (f *fleet) adopt(w wanted) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.want, f.configErr = w, ""
	if f.groups == nil {
		f.groups = map[string]*group{}
	}
	seen := map[string]bool{}
	var pull []string
	for _, spec := range w.cfg.Groups {
		seen[spec.Name] = true
		g, ok := f.groups[spec.Name]
		if !ok {
			g = &group{}
			g.set(StatePulling, "")
			f.groups[spec.Name] = g
		}
		if g.spec.Bundle.Digest != spec.Bundle.Digest {
			g.rejected = "" // a new digest: whatever failed before does not hold for it
		}
		g.spec = spec
		// A canary no longer configured is promoted: the operator took
		// the group off canary for the digest under test (promote: manual).
		if g.canary != nil && len(spec.Canary) == 0 && digestOf(g.canary) == spec.Bundle.Digest {
			g.promote()
		}
		if g.needs() {
			pull = append(pull, spec.Name)
		}
	}
	for name := range f.groups {
		if !seen[name] {
			delete(f.groups, name)
		}
	}
	sort.Strings(pull)
	return pull
}

// promote makes the canary digest the one every member boots.
func (g *group) promote() {
	g.previous, g.serving, g.canary, g.passed = g.serving, g.canary, nil, nil
	g.set(StateServing, "")
}

// verified applies a pull's outcome for group name: the bundle for ref,
// or the last good bundle instead (pullErr says why), or err. It reports
// whether the group's members now boot another digest, and how.
func (f *fleet) verified(name string, ref ocibundle.Ref, v *pulled, pullErr, err error) (switched bool, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.groups[name]
	if !ok {
		return false, "group dropped from the config while pulling"
	}
	g.pulling = false
	switch {
	case err != nil && g.serving != nil:
		g.set(StateFailed, fmt.Sprintf("%s not served, still serving %s: %v", ref.Digest, digestOf(g.serving), err))
		return false, g.reason
	case err != nil:
		g.set(StateFailed, fmt.Sprintf("%s: %v", ref.Digest, err))
		return false, g.reason
	case pullErr != nil: // the last good bundle, at a start
		g.serving = v
		if digestOf(v) == ref.Digest {
			g.set(StateServing, "")
		} else {
			g.set(StateFailed, fmt.Sprintf("%s not served, serving the last good %s: %v", ref.Digest, digestOf(v), pullErr))
		}
		return true, "last good bundle"
	case digestOf(v) != g.spec.Bundle.Digest:
		// The config moved on while this pull ran; the next one is queued.
		return false, fmt.Sprintf("pulled %s, but the config now names %s", digestOf(v), g.spec.Bundle.Digest)
	case g.serving == nil:
		g.serving = v
		g.set(StateServing, "")
		return true, "first bundle"
	case len(g.spec.Canary) > 0:
		g.canary, g.since, g.passed = v, time.Now(), map[string]bool{}
		g.set(StateCanary, "waiting for the boot reports of "+strings.Join(g.spec.Canary, ", "))
		return true, "canary started on " + strings.Join(g.spec.Canary, ", ")
	default:
		g.previous, g.serving = g.serving, v
		g.set(StateServing, "")
		return true, "switched"
	}
}

// reported applies a node's boot report to its group's canary. A pass of
// the canary digest by every canary promotes it (promote: on-success); a
// failure stops the rollout: the canaries go back to the serving digest,
// and the failed digest is not tried again until the config names another.
// changed says some node now boots another digest.
func (f *fleet) reported(node string, booted digest.Digest, pass bool, at time.Time) (changed bool, groupName, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name, ok := f.want.assign.GroupOf(node)
	if !ok {
		return false, "", ""
	}
	g := f.groups[name]
	if g == nil || g.canary == nil || !slices.Contains(g.spec.Canary, node) || booted != bootDigest(g.canary) || at.Before(g.since) {
		return false, name, ""
	}
	if !pass {
		failed := digestOf(g.canary)
		g.rejected, g.canary, g.passed = failed, nil, nil
		g.set(StateFailed, fmt.Sprintf("canary %s failed its selftest on %s; the group stays on %s", node, failed, digestOf(g.serving)))
		return true, name, g.reason
	}
	g.passed[node] = true
	for _, c := range g.spec.Canary {
		if !g.passed[c] {
			return false, name, "canary " + node + " passed"
		}
	}
	if g.spec.Promote != desired.PromoteOnSuccess {
		g.set(StateCanary, "every canary passed; promote by taking the canaries out of the config")
		return false, name, g.reason
	}
	g.promote()
	return true, name, "every canary passed: promoted"
}

// serving is what the View must serve now: every group's bundles (the
// previous one too, so a client that read its config before a switch
// finishes its boot), each node's digest, and the default group's for
// unknown clients: its nodes' platform, and any other its index has.
func (f *fleet) serving() bootfs.Serving {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := bootfs.Serving{Nodes: map[string]digest.Digest{}, Unknown: map[string]digest.Digest{}}
	names := make([]string, 0, len(f.groups))
	for name := range f.groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		g := f.groups[name]
		for _, v := range []*pulled{g.serving, g.canary, g.previous} {
			if v == nil {
				continue
			}
			s.Bundles = append(s.Bundles, v.bundles()...)
		}
		if g.serving == nil {
			continue
		}
		for _, n := range f.want.assign.Members(name) {
			s.Nodes[n] = bootDigest(g.serving)
			if g.canary != nil && slices.Contains(g.spec.Canary, n) {
				s.Nodes[n] = bootDigest(g.canary)
			}
		}
		if g.spec.Default {
			s.Unknown[g.spec.Arch] = bootDigest(g.serving)
			for a, o := range g.serving.others {
				s.Unknown[a] = o.Bundle.Manifest.Digest
			}
		}
	}
	return s
}

// alsoFor are the platforms, besides its own, whose manifests group
// spec verifies from a multi-arch index: every other, for the default
// group when the inventory allows unknown clients (who boot by their
// DHCP option 93); none otherwise.
func (f *fleet) alsoFor(spec desired.Group) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !spec.Default || f.want.inv == nil || !f.want.inv.Network.AllowUnknown {
		return nil
	}
	var also []string
	for _, a := range pxe.Arches {
		if a != spec.Arch {
			also = append(also, a)
		}
	}
	return also
}

// startPull marks group name as pulling and returns what to pull, or
// false when there is nothing to do.
func (f *fleet) startPull(name string) (desired.Group, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.groups[name]
	if !ok || !g.needs() {
		return desired.Group{}, false
	}
	g.pulling = true
	if g.state != StateCanary || g.canary == nil {
		g.set(StatePulling, "pulling "+g.spec.Bundle.String())
	}
	return g.spec, true
}

// anyServing reports whether some group has a verified bundle to serve.
func (f *fleet) anyServing() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range f.groups {
		if g.serving != nil {
			return true
		}
	}
	return false
}

// failures are the reasons of every failed group, for a start that
// serves nothing.
func (f *fleet) failures() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for name, g := range f.groups {
		if g.reason != "" {
			out = append(out, fmt.Sprintf("group %q: %s", name, g.reason))
		}
	}
	sort.Strings(out)
	return out
}

// refuse records why a new reading of the desired state was not adopted.
func (f *fleet) refuse(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.configErr = err.Error()
}

// state is group name's reconcile state, for the metrics.
func (f *fleet) state(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g := f.groups[name]; g != nil {
		return g.state
	}
	return ""
}

// snapshot is every group's state, for the status page.
func (f *fleet) snapshot() []status.Group {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []status.Group
	for _, spec := range f.want.cfg.Groups {
		g := f.groups[spec.Name]
		if g == nil {
			continue
		}
		sg := status.Group{
			Name: spec.Name, Serving: digestOf(g.serving).String(), Canary: digestOf(g.canary).String(),
			Desired: spec.Bundle.Digest.String(), Previous: digestOf(g.previous).String(),
			State: g.state, Reason: g.reason, CanaryNodes: spec.Canary,
		}
		out = append(out, sg)
	}
	if f.configErr != "" {
		out = append(out, status.Group{Name: "(config)", State: StateFailed, Reason: "not reloaded, the previous one is in force: " + f.configErr})
	}
	return out
}

// assignment is which group each node is in.
func (f *fleet) assignment() *desired.Assignment {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.want.assign
}

// wanted is the desired state in force.
func (f *fleet) wanted() wanted {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.want
}
