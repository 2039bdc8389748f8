package bootfs

import "sync/atomic"

// Current is the View being served. Servers Load it once per request and
// read only that View for the whole transfer, so a switch (one Store) never
// mixes two bundles in one response. The zero value holds no View.
type Current struct{ p atomic.Pointer[View] }

// Load returns the View being served, or nil before the first Store.
func (c *Current) Load() *View { return c.p.Load() }

// Store makes v the View served to every request that starts after it.
func (c *Current) Store(v *View) { c.p.Store(v) }
