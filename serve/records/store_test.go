package records

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "records.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func mustMAC(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	hw, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return hw
}

func report(mac, digest string, at time.Time) Report {
	return Report{MAC: mac, IP: "10.0.0.5", Digest: digest, Result: ResultPass, UptimeInitMS: 800,
		UptimeDoneMS: 2000, MemUsedKB: 9000, Ping: "ok", Received: at}
}

// TestReportFlag: a report is flagged when its digest is not the one serve
// gave the node, and the flag clears on a matching report.
func TestReportFlag(t *testing.T) {
	const mac = "52:54:00:00:00:01"
	t0 := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		name     string
		given    string // "" = never given
		reported string
		want     string
	}{
		{"match", digestA, digestA, ""},
		{"other digest", digestA, digestB, "reported " + digestB + ", was given " + digestA},
		{"never given", "", digestA, "reported " + digestA + ", was given none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := open(t)
			hw := mustMAC(t, mac)
			if tc.given != "" {
				if err := s.Given(hw, "node1", tc.given, t0); err != nil {
					t.Fatal(err)
				}
			}
			n, err := s.Report(report(mac, tc.reported, t0.Add(time.Second)), "node1")
			if err != nil {
				t.Fatal(err)
			}
			if n.Flag != tc.want {
				t.Errorf("Report(given %q, reported %q).Flag = %q, want %q", tc.given, tc.reported, n.Flag, tc.want)
			}
			stored, ok, err := s.Node(hw)
			if err != nil || !ok || stored.Flag != tc.want {
				t.Errorf("Node(%s) = %+v, %v, %v; want Flag %q", mac, stored, ok, err, tc.want)
			}
			h, err := s.History(hw, 1)
			if err != nil || len(h) != 1 || h[0].Kind != KindReport || !strings.Contains(h[0].Detail, tc.reported) || (tc.want != "") != strings.Contains(h[0].Detail, "("+tc.want+")") {
				t.Errorf("History(%s, 1) = %+v, %v; want the report event, flag %q", mac, h, err, tc.want)
			}
		})
	}
	// The flag says what the last report was: a matching one clears it.
	s, _ := open(t)
	hw := mustMAC(t, mac)
	s.Given(hw, "", digestA, t0)
	if n, _ := s.Report(report(mac, digestB, t0), ""); n.Flag == "" {
		t.Fatal("wrong digest not flagged")
	}
	if n, _ := s.Report(report(mac, digestA, t0), ""); n.Flag != "" {
		t.Errorf("Flag after a matching report = %q, want \"\"", n.Flag)
	}
}

// TestBootTime: from the first offer of a boot to its report; a second
// offer within the boot (the kernel's own DHCP) does not restart it.
func TestBootTime(t *testing.T) {
	s, _ := open(t)
	const mac = "52:54:00:00:00:02"
	hw := mustMAC(t, mac)
	t0 := time.Unix(1700000000, 0)
	steps := []error{
		s.DHCP(hw, "n2", "DISCOVER", t0),
		s.DHCP(hw, "n2", "OFFER", t0.Add(10*time.Millisecond)),
		s.DHCP(hw, "n2", "ACK", t0.Add(20*time.Millisecond)),
		s.Given(hw, "n2", digestA, t0.Add(time.Second)),
		s.File(hw, "n2", "bundle/bzImage", t0.Add(2*time.Second)),
		s.DHCP(hw, "n2", "OFFER", t0.Add(3*time.Second)),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	n, err := s.Report(report(mac, digestA, t0.Add(9*time.Second+10*time.Millisecond)), "")
	if err != nil {
		t.Fatal(err)
	}
	if n.BootTime != 9*time.Second {
		t.Errorf("BootTime = %v, want 9s", n.BootTime)
	}
	if n.Name != "n2" || n.LastFile != "bundle/bzImage" || n.LastDHCPType != "OFFER" || !n.LastOffer.Equal(t0.Add(3*time.Second)) || n.Given != digestA {
		t.Errorf("node = %+v", n)
	}
	// The next boot starts at its own first offer.
	s.DHCP(hw, "", "OFFER", t0.Add(time.Minute))
	n, _ = s.Report(report(mac, digestA, t0.Add(time.Minute+5*time.Second)), "")
	if n.BootTime != 5*time.Second {
		t.Errorf("second boot's BootTime = %v, want 5s", n.BootTime)
	}
	// A boot that never reported does not stretch the next one.
	s.DHCP(hw, "", "OFFER", t0.Add(2*time.Minute))
	s.DHCP(hw, "", "OFFER", t0.Add(2*time.Minute+MaxBootTime+time.Second))
	n, _ = s.Report(report(mac, digestA, t0.Add(2*time.Minute+MaxBootTime+8*time.Second)), "")
	if n.BootTime != 7*time.Second {
		t.Errorf("BootTime after an unreported boot = %v, want 7s", n.BootTime)
	}
	h, err := s.History(hw, 0)
	if err != nil || len(h) != 12 {
		t.Fatalf("History = %d events, %v; want 12", len(h), err)
	}
	for i := 1; i < len(h); i++ {
		if h[i].Seq <= h[i-1].Seq {
			t.Errorf("History not oldest first: seq %d after %d", h[i].Seq, h[i-1].Seq)
		}
	}
	if h[0].Kind != KindDHCP || h[0].Detail != "DISCOVER" || h[4].Kind != KindFile {
		t.Errorf("History starts %+v", h[:5])
	}
}

func TestNodesAndHistoryPerNode(t *testing.T) {
	s, _ := open(t)
	at := time.Unix(1700000000, 0)
	for _, c := range []struct{ mac, name string }{
		{"52:54:00:00:00:03", "b"}, {"52:54:00:00:00:01", "a"}, {"52:54:00:00:00:04", ""}, {"52:54:00:00:00:02", "b"},
	} {
		for i := range 3 {
			if err := s.DHCP(mustMAC(t, c.mac), c.name, "DISCOVER", at.Add(time.Duration(i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	nodes, err := s.Nodes()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range nodes {
		got = append(got, n.Name+"/"+n.MAC)
	}
	want := "/52:54:00:00:00:04 a/52:54:00:00:00:01 b/52:54:00:00:00:02 b/52:54:00:00:00:03"
	if strings.Join(got, " ") != want {
		t.Errorf("Nodes() = %q, want %q", strings.Join(got, " "), want)
	}
	for _, mac := range []string{"52:54:00:00:00:01", "52:54:00:00:00:04"} {
		h, err := s.History(mustMAC(t, mac), 2)
		if err != nil || len(h) != 2 {
			t.Fatalf("History(%s, 2) = %v, %v", mac, h, err)
		}
		for _, e := range h {
			if e.MAC != mac {
				t.Errorf("History(%s) holds an event of %s", mac, e.MAC)
			}
		}
	}
	if all, err := s.History(nil, 0); err != nil || len(all) != 12 {
		t.Errorf("History(nil, 0) = %d events, %v; want 12", len(all), err)
	}
	if h, err := s.History(mustMAC(t, "52:54:00:00:00:09"), 0); err != nil || len(h) != 0 {
		t.Errorf("History(unknown) = %v, %v; want none", h, err)
	}
	if _, ok, err := s.Node(mustMAC(t, "52:54:00:00:00:09")); ok || err != nil {
		t.Errorf("Node(unknown) = %v, %v; want not found", ok, err)
	}
}

// TestOpenLocked: a second Open of a held store fails naming the file.
func TestOpenLocked(t *testing.T) {
	_, path := open(t)
	start := time.Now()
	s2, err := Open(path)
	if err == nil {
		s2.Close()
		t.Fatal("second Open of a held store succeeded")
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Errorf("second Open = %v, want ErrLocked naming %s", err, path)
	}
	if d := time.Since(start); d > LockTimeout+2*time.Second {
		t.Errorf("second Open took %v", d)
	}
}

func TestSurvivesReopen(t *testing.T) {
	s, path := open(t)
	hw := mustMAC(t, "52:54:00:00:00:05")
	s.Given(hw, "n5", digestA, time.Unix(1, 0))
	s.Report(report(hw.String(), digestA, time.Unix(2, 0)), "")
	s.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, ok, err := s.Node(hw)
	if err != nil || !ok || n.LastReport == nil || n.LastReport.Digest != digestA || n.Name != "n5" {
		t.Errorf("after reopen Node = %+v, %v, %v", n, ok, err)
	}
}
