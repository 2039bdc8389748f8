package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"rambox/pxe"
	"rambox/serve/bootfs"
	"rambox/serve/dhcp"
	"rambox/serve/metrics"
)

// reconciler moves what is served toward the desired state: it re-reads
// the config, pulls and verifies each group's new digest in the
// background, and swaps in a new View whenever a group switches. A
// failure keeps what was served and records why (the status page shows
// it). It can be stopped at any point: what it serves is only ever a
// View of verified bundles.
type reconciler struct {
	cfg     Config
	fleet   *fleet
	cur     *bootfs.Current
	loaders bootfs.Loaders
	opts    bootfs.Options
	metrics *metrics.Metrics
	log     *slog.Logger

	mu    sync.Mutex
	dhcp  *dhcp.Server // nil with --dhcp off, or before the servers start
	inv   *pxe.Inventory
	nodes nodeIndex // of inv

	trigger chan struct{} // a reconcile is wanted; buffered, so requests coalesce
	wg      sync.WaitGroup
}

// poke asks for a reconcile (SIGHUP, a changed file).
func (r *reconciler) poke() {
	select {
	case r.trigger <- struct{}{}:
	default: // one is pending already: it reads the files afresh
	}
}

// loop reconciles on every poke until ctx is done.
func (r *reconciler) loop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			r.wg.Wait()
			return
		case <-r.trigger:
			r.once(ctx)
		}
	}
}

// watch pokes the loop when one of the desired state's files changes.
func (r *reconciler) watch(ctx context.Context, files func() []string) {
	last := stamps(files())
	t := time.NewTicker(WatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if now := stamps(files()); now != last {
				last = now
				r.poke()
			}
		}
	}
}

// once re-reads the desired state and pulls what it names. A state that
// does not read keeps the previous one in force.
func (r *reconciler) once(ctx context.Context) {
	w, err := readDesired(r.cfg)
	if err != nil {
		r.fleet.refuse(err)
		r.log.Error("desired state not reloaded, serving the previous one", "err", err)
		return
	}
	pulls := r.fleet.adopt(w)
	r.publish(w.inv)
	r.log.Info("reloaded", "config", w.cfg.Path, "nodes", len(w.inv.Nodes), "groups", len(w.cfg.Groups), "digest", r.digests())
	r.pullAll(ctx, pulls, false)
}

// pullAll pulls the named groups' bundles at once and applies each
// outcome as it comes. first says this is the start, where a group that
// cannot pull falls back to its last good bundle.
func (r *reconciler) pullAll(ctx context.Context, groups []string, first bool) {
	var wg sync.WaitGroup
	for _, name := range groups {
		spec, ok := r.fleet.startPull(name)
		if !ok {
			continue
		}
		r.metrics.ReconcileState(name, StatePulling)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A multi-arch index is served as the platform of the
			// group's nodes (desired.Resolve).
			got, err := obtain(ctx, r.cfg, spec, spec.Arch, r.fleet.alsoFor(spec), first)
			log := r.log.With("group", name, "bundle", spec.Bundle.String())
			if err == nil && got.OthersErr != nil {
				log.Warn("unknown clients of another architecture get nothing: the index's manifest for it was refused", "err", got.OthersErr)
			}
			if err == nil && got.PullErr != nil {
				log.Warn("pull failed, serving the last good bundle (re-verified)", "digest", got.Bundle.Manifest.Digest, "err", got.PullErr)
			}
			if got.SaveErr != nil {
				log.Warn("not kept as the last good bundle", "digest", got.Bundle.Manifest.Digest, "err", got.SaveErr)
			}
			if err != nil {
				r.metrics.VerifyFailure(name)
			}
			switched, msg := r.fleet.verified(name, spec.Bundle, got.pulled, got.PullErr, err)
			r.metrics.ReconcileState(name, r.fleet.state(name))
			switch {
			case err != nil:
				log.Error("bundle not switched, serving the previous one", "digest", spec.Bundle.Digest, "err", err)
			case switched && strings.HasPrefix(msg, "canary"):
				r.publish(nil)
				log.Info("canary", "digest", got.Bundle.Manifest.Digest, "how", msg)
			case switched:
				r.publish(nil)
				log.Info("group switched", "digest", got.Bundle.Manifest.Digest, "profile", got.Bundle.Info.Profile, "how", msg)
			default:
				r.publish(nil)
				log.Info("pulled and verified", "digest", got.Bundle.Manifest.Digest, "how", msg)
			}
		}()
	}
	wg.Wait()
}

// publish builds the View of what the fleet serves now, for inv (nil:
// the inventory in force), and swaps it in. A View that cannot be built
// keeps the old one.
func (r *reconciler) publish(inv *pxe.Inventory) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if inv == nil {
		inv = r.inv
	}
	s := r.fleet.serving()
	if len(s.Bundles) == 0 {
		return // nothing verified yet
	}
	v, err := bootfs.New(s, inv, r.loaders, r.opts)
	if err != nil {
		r.log.Error("inventory not reloaded, serving the previous one", "err", err)
		return
	}
	r.cur.Store(v)
	if inv != r.inv || r.nodes.byMAC == nil {
		r.inv, r.nodes = inv, indexNodes(inv)
		if r.dhcp != nil {
			r.dhcp.SetInventory(inv)
		}
	}
}

// setDHCP hands the reconciler the DHCP server, once it exists.
func (r *reconciler) setDHCP(d *dhcp.Server) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dhcp = d
}

// inventory is the inventory in force, and its index.
func (r *reconciler) inventory() (*pxe.Inventory, nodeIndex) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inv, r.nodes
}

// nodeIndex finds an inventory's nodes by MAC and by fixed address: the
// observer asks on every DHCP exchange and transfer. It is never changed
// once made.
type nodeIndex struct {
	byMAC map[string]string               // MAC -> node name
	byIP  map[netip.Addr]net.HardwareAddr // fixed address -> MAC
}

func indexNodes(inv *pxe.Inventory) nodeIndex {
	x := nodeIndex{byMAC: map[string]string{}, byIP: map[netip.Addr]net.HardwareAddr{}}
	for _, n := range inv.Nodes {
		x.byMAC[n.MAC.String()] = n.Name
		x.byIP[n.IP] = n.MAC
	}
	return x
}

// digests are the digests the View serves, for the log.
func (r *reconciler) digests() []string {
	v := r.cur.Load()
	if v == nil {
		return nil
	}
	var out []string
	for _, d := range v.Digests() {
		out = append(out, d.String())
	}
	return out
}

// errNothingVerified is why a start serves nothing.
var errNothingVerified = errors.New("no group has a verified bundle")
