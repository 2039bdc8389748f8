// Package status renders what the boot server knows about its groups and
// nodes: a self-refreshing HTML page at / (html/template, no front-end
// build step), the same data as JSON under /api/v1/, and, client side, a
// text table for `rambox status`. The orchestrator fills a Snapshot; this
// package only renders it, so the page, the API and the table cannot
// disagree.
package status

import "time"

// Snapshot is the whole state at one instant.
type Snapshot struct {
	Server    string    `json:"server"`
	Generated time.Time `json:"generated"`
	Groups    []Group   `json:"groups"`
	Nodes     []Node    `json:"nodes"`
}

// Group is one node group and the digests in play for it.
type Group struct {
	Name        string   `json:"name"`
	Serving     string   `json:"serving"`            // digest served to the group's non-canary nodes
	Canary      string   `json:"canary,omitempty"`   // digest under canary, "" when none
	Desired     string   `json:"desired"`            // digest in the config
	Previous    string   `json:"previous,omitempty"` // rollback digest
	State       string   `json:"state"`              // serving, pulling, verifying, canary, promoted, failed...
	Reason      string   `json:"reason,omitempty"`   // why not switched; shown in red when State is failed
	CanaryNodes []string `json:"canary_nodes,omitempty"`
}

// Node is one known client.
type Node struct {
	Name         string        `json:"name"`
	MAC          string        `json:"mac"`
	IP           string        `json:"ip,omitempty"`
	Group        string        `json:"group"`
	Given        string        `json:"given,omitempty"`  // digest it is being given
	Booted       string        `json:"booted,omitempty"` // digest it last reported
	Result       string        `json:"result,omitempty"` // PASS, FAIL, or "" before its first report
	State        string        `json:"state"`            // dhcp, loading, booted, failed, flagged...
	LastDHCP     time.Time     `json:"last_dhcp,omitzero"`
	LastFile     time.Time     `json:"last_file,omitzero"`
	LastFileName string        `json:"last_file_name,omitempty"`
	LastReport   time.Time     `json:"last_report,omitzero"`
	BootTime     time.Duration `json:"boot_time_ns,omitempty"` // nanoseconds in JSON, as time.Duration marshals
	Flag         string        `json:"flag,omitempty"`         // e.g. a report for a digest it was not given
}

// Source gives the current snapshot; the handler calls it once per request.
type Source interface{ Snapshot() Snapshot }

// SourceFunc adapts a function to Source.
type SourceFunc func() Snapshot

// Snapshot calls f.
func (f SourceFunc) Snapshot() Snapshot { return f() }

// Failed reports whether the group is to be shown as failed (red).
func (g Group) Failed() bool { return g.State == StateFailed }

// Failed reports whether the node is to be shown as failed (red): a FAIL
// report or a failed state.
func (n Node) Failed() bool { return n.Result == ResultFail || n.State == StateFailed }

// The values this package gives meaning to; other states are shown as is.
const (
	StateFailed = "failed"
	ResultPass  = "PASS"
	ResultFail  = "FAIL"
)
