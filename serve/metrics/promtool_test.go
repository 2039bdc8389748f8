package metrics_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"testing"

	"rambox/serve/metrics"
	"rambox/serve/metrics/metricstest"
)

// TestScrapeAndPromtool scrapes the handler over HTTP as Prometheus would,
// checks the values, and lints the output with Debian prometheus'
// `promtool check metrics`; RAMBOX_E2E=1 makes a missing promtool a failure.
func TestScrapeAndPromtool(t *testing.T) {
	m := metrics.New()
	m.DHCP("offer")
	m.DHCP("ack")
	m.Transfer("tftp", "bundles/aa/bzImage", 4096)
	m.Transfer("http", "ipxe/52:54:00:00:00:01.ipxe", 120)
	m.Boot("sha256:aa", "PASS")
	m.Boot("sha256:aa", "PASS")
	m.Boot("sha256:bb", "FAIL")
	m.VerifyFailure("db")
	m.ReconcileState("db", "pulling")
	m.ReconcileState("db", "failed")
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	text, err := metricstest.Get(context.Background(), srv.URL+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	v, err := metricstest.Values(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key  string
		want float64
	}{
		{`rambox_dhcp_messages_total{type="offer"}`, 1},
		{`rambox_transfers_total{file="bzImage",proto="tftp"}`, 1},
		{`rambox_transfer_bytes_total{file="bzImage",proto="tftp"}`, 4096},
		{`rambox_transfer_bytes_total{file="script",proto="http"}`, 120},
		{`rambox_boots_total{digest="sha256:aa",result="PASS"}`, 2},
		{`rambox_boots_total{digest="sha256:bb",result="FAIL"}`, 1},
		{`rambox_verify_failures_total{group="db"}`, 1},
		{`rambox_reconcile_state{group="db",state="failed"}`, 1},
		{`rambox_reconcile_state{group="db",state="pulling"}`, 0},
	} {
		got, ok := v[c.key]
		if !ok || got != c.want {
			t.Errorf("%s = %v (present %v), want %v", c.key, got, ok, c.want)
		}
	}
	if _, ok := v["go_goroutines"]; !ok {
		t.Errorf("no go_goroutines: the Go collector is missing")
	}

	err = metricstest.Promtool(context.Background(), text)
	if errors.Is(err, metricstest.ErrNoPromtool) {
		if os.Getenv("RAMBOX_E2E") == "1" {
			t.Fatalf("RAMBOX_E2E=1, but %v", err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Error(err)
	}
	// promtool really lints: a counter without _total and help fails.
	if err := metricstest.Promtool(context.Background(), []byte("# TYPE foo counter\nfoo 1\n")); err == nil {
		t.Errorf("promtool accepted a counter without _total suffix or help")
	}
}
