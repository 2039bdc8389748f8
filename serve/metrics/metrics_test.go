package metrics

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestFileKind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"bundles/0123abcd/bzImage", "bzImage"},
		{"/bundles/0123abcd/initramfs.cpio.gz", "initramfs.cpio.gz"},
		{"bundles/0123abcd/bundle.json", "bundle.json"},
		{"pxelinux.0", "pxelinux.0"},
		{"ldlinux.c32", "ldlinux.c32"},
		{"undionly.kpxe", "undionly.kpxe"},
		{"snponly.efi", "snponly.efi"},
		{"pxelinux.cfg/01-52-54-00-00-00-01", KindConfig},
		{"grub/52:54:00:00:00:01.cfg", KindConfig},
		{"grub/grub.cfg", KindConfig},
		{"bundles/0123abcd/Image", "Image"},
		{"grubnetaa64.efi", "grubnetaa64.efi"},
		{"pxelinux.cfg/default", KindConfig},
		{"ipxe/52:54:00:00:00:01.ipxe", KindScript},
		{"/ipxe/default.ipxe", KindScript},
		{"../../etc/passwd", KindOther},
		{"favicon.ico", KindOther},
	} {
		if got := FileKind(c.in); got != c.want {
			t.Errorf("FileKind(%q) = %q, want %q", c.in, got, c.want)
		}
		// Idempotent: serve reduces names before Transfer reduces them again.
		if got := FileKind(FileKind(c.in)); got != c.want {
			t.Errorf("FileKind(FileKind(%q)) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCounters(t *testing.T) {
	m := New()
	m.DHCP("offer")
	m.DHCP("offer")
	m.DHCP("ack")
	m.Transfer("tftp", "bundles/aa/bzImage", 1000)
	m.Transfer("tftp", "bundles/bb/bzImage", 500)
	m.Transfer("http", "bundles/aa/initramfs.cpio.gz", 7)
	m.Transfer("tftp", "pxelinux.cfg/01-52-54-00-00-00-01", 0)
	m.Boot("sha256:aa", "PASS")
	m.Boot("sha256:aa", "PASS")
	m.Boot("sha256:aa", "FAIL")
	m.VerifyFailure("db")
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"dhcp offer", testutil.ToFloat64(m.dhcp.WithLabelValues("offer")), 2},
		{"dhcp ack", testutil.ToFloat64(m.dhcp.WithLabelValues("ack")), 1},
		{"tftp bzImage transfers", testutil.ToFloat64(m.transfers.WithLabelValues("tftp", "bzImage")), 2},
		{"tftp bzImage bytes", testutil.ToFloat64(m.transferBytes.WithLabelValues("tftp", "bzImage")), 1500},
		{"http initramfs bytes", testutil.ToFloat64(m.transferBytes.WithLabelValues("http", "initramfs.cpio.gz")), 7},
		{"tftp config transfers", testutil.ToFloat64(m.transfers.WithLabelValues("tftp", "config")), 1},
		{"boots PASS", testutil.ToFloat64(m.boots.WithLabelValues("sha256:aa", "PASS")), 2},
		{"boots FAIL", testutil.ToFloat64(m.boots.WithLabelValues("sha256:aa", "FAIL")), 1},
		{"verify failures db", testutil.ToFloat64(m.verifyFailures.WithLabelValues("db")), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// Series per file kind, not per bundle: two bundles' bzImage are one.
	if n := testutil.CollectAndCount(m.transfers); n != 3 {
		t.Errorf("rambox_transfers_total has %d series, want 3", n)
	}
}

func TestReconcileStateIsAnEnum(t *testing.T) {
	m := New()
	m.ReconcileState("web", "pulling")
	m.ReconcileState("web", "verifying")
	m.ReconcileState("web", "serving")
	m.ReconcileState("db", "failed")
	want := `
# HELP rambox_reconcile_state Reconcile state per group: 1 for the group's current state, 0 for states it has left.
# TYPE rambox_reconcile_state gauge
rambox_reconcile_state{group="db",state="failed"} 1
rambox_reconcile_state{group="web",state="pulling"} 0
rambox_reconcile_state{group="web",state="serving"} 1
rambox_reconcile_state{group="web",state="verifying"} 0
`
	if err := testutil.CollectAndCompare(m.reconcile, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	m.ReconcileState("web", "pulling")
	if got := testutil.ToFloat64(m.reconcile.WithLabelValues("web", "serving")); got != 0 {
		t.Errorf("web serving after moving to pulling = %v, want 0", got)
	}
}

// scrape fills m and returns what its handler serves.
func scrape(t *testing.T) []byte {
	m := New()
	m.DHCP("offer")
	m.DHCP("ack")
	m.Transfer("tftp", "bundles/aa/bzImage", 1)
	m.Transfer("http", "ipxe/52:54:00:00:00:01.ipxe", 1)
	m.Boot("sha256:aa", "PASS")
	m.VerifyFailure("db")
	m.ReconcileState("db", "failed")
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics = %s", resp.Status)
	}
	return b
}

func TestHandlerServesAll(t *testing.T) {
	b := scrape(t)
	for _, want := range []string{
		`rambox_dhcp_messages_total{type="offer"} 1`,
		`rambox_transfers_total{file="bzImage",proto="tftp"} 1`,
		`rambox_transfer_bytes_total{file="script",proto="http"} 1`,
		`rambox_boots_total{digest="sha256:aa",result="PASS"} 1`,
		`rambox_verify_failures_total{group="db"} 1`,
		`rambox_reconcile_state{group="db",state="failed"} 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
