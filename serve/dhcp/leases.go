package dhcp

import (
	"sync"
	"time"
)

// leases is the pool's lease table, kept across inventories.
type leases struct {
	mu  sync.Mutex
	now func() time.Time
}

func newLeases(now func() time.Time) *leases {
	return &leases{now: now}
}
