// Package metrics holds rambox serve's Prometheus metrics on a registry of
// its own (plus the Go and process collectors), served at /metrics.
//
// Label cardinality is kept bounded: a transfer's file label is the kind of
// file (FileKind: "bzImage", "initramfs.cpio.gz", "pxelinux.0", "config",
// "script"...), never a digest-named path, so a fleet that rolls through
// many bundles does not grow a series per bundle and file. The digest is a
// label only on rambox_boots_total, where "which bundle booted" is the
// point; there are as many of those as bundles ever served.
package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of rambox serve's metrics. Its methods are safe for
// concurrent use; the zero value is not usable, call New.
type Metrics struct {
	reg            *prometheus.Registry
	dhcp           *prometheus.CounterVec
	transfers      *prometheus.CounterVec
	transferBytes  *prometheus.CounterVec
	boots          *prometheus.CounterVec
	verifyFailures *prometheus.CounterVec
	reconcile      *prometheus.GaugeVec

	mu     sync.Mutex
	states map[string]map[string]bool // group -> every state it has been in, to zero the old ones
}

// New makes the metrics and registers them.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		dhcp: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rambox_dhcp_messages_total",
			Help: "DHCP messages sent, by message type (offer, ack, nak...).",
		}, []string{"type"}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rambox_transfers_total",
			Help: "Completed file transfers, by protocol (tftp, http) and file kind.",
		}, []string{"proto", "file"}),
		transferBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rambox_transfer_bytes_total",
			Help: "Bytes sent in file transfers, by protocol (tftp, http) and file kind.",
		}, []string{"proto", "file"}),
		boots: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rambox_boots_total",
			Help: "Boot reports received, by bundle digest and result (PASS, FAIL).",
		}, []string{"digest", "result"}),
		verifyFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rambox_verify_failures_total",
			Help: "Bundles that failed verification, by group.",
		}, []string{"group"}),
		reconcile: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rambox_reconcile_state",
			Help: "Reconcile state per group: 1 for the group's current state, 0 for states it has left.",
		}, []string{"group", "state"}),
		states: map[string]map[string]bool{},
	}
	m.reg.MustRegister(m.dhcp, m.transfers, m.transferBytes, m.boots, m.verifyFailures, m.reconcile,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// DHCP counts one DHCP message sent, by type ("offer", "ack", "nak"...).
func (m *Metrics) DHCP(msgType string) { m.dhcp.WithLabelValues(msgType).Inc() }

// Transfer counts one completed transfer of bytes over proto ("tftp",
// "http"); file is reduced to its kind with FileKind.
func (m *Metrics) Transfer(proto, file string, bytes int64) {
	kind := FileKind(file)
	m.transfers.WithLabelValues(proto, kind).Inc()
	if bytes > 0 {
		m.transferBytes.WithLabelValues(proto, kind).Add(float64(bytes))
	}
}

// Boot counts one boot report for digest with result ("PASS", "FAIL").
func (m *Metrics) Boot(digest, result string) { m.boots.WithLabelValues(digest, result).Inc() }

// VerifyFailure counts one bundle that failed verification for group.
func (m *Metrics) VerifyFailure(group string) { m.verifyFailures.WithLabelValues(group).Inc() }

// ReconcileState records group's current state: its series is 1, the
// group's earlier states' series are 0 (an enum gauge, so a query can ask
// "which groups are failed" as rambox_reconcile_state{state="failed"} == 1).
func (m *Metrics) ReconcileState(group, state string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := m.states[group]
	if seen == nil {
		seen = map[string]bool{}
		m.states[group] = seen
	}
	seen[state] = true
	for s := range seen {
		v := 0.0
		if s == state {
			v = 1
		}
		m.reconcile.WithLabelValues(group, s).Set(v)
	}
}

// Registry is the registry the metrics are on, for tests and for adding
// collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
