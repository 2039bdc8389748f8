package dhcpload

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.6")
	ok := func(mac string, ip netip.Addr) Client {
		return Client{MAC: mac, IP: ip, OfferMS: 1, DORAMS: 2}
	}
	for _, tc := range []struct {
		name    string
		clients []Client
		want    []string // substrings of the problems, in order
	}{
		{"clean", []Client{ok("m1", a), ok("m2", b)}, nil},
		{"duplicate", []Client{ok("m1", a), ok("m2", a)}, []string{"address 10.0.0.5 acked to 2 MACs: [m1 m2]"}},
		{"wrong fixed", []Client{{MAC: "m1", Known: true, Want: b, IP: a, DORAMS: 1}}, []string{"inventory MAC m1: acked 10.0.0.5, want its fixed 10.0.0.6"}},
		{"failed", []Client{ok("m1", a), {MAC: "m2", Err: "DISCOVER: no OFFER"}}, []string{"client m2: DISCOVER: no OFFER"}},
		{"no address", []Client{{MAC: "m2"}}, []string{"client m2: "}},
	} {
		s := Check(tc.clients, time.Second)
		if len(s.Problems) != len(tc.want) {
			t.Errorf("%s: Check(...).Problems = %q, want %d like %q", tc.name, s.Problems, len(tc.want), tc.want)
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(s.Problems[i], w) {
				t.Errorf("%s: Check(...).Problems[%d] = %q, want %q", tc.name, i, s.Problems[i], w)
			}
		}
	}
}

func TestCheckCounts(t *testing.T) {
	var cs []Client
	for i := range 100 {
		ip := netip.AddrFrom4([4]byte{10, 0, 1, byte(i)})
		cs = append(cs, Client{MAC: UnknownMAC(i).String(), IP: ip, OfferMS: float64(i + 1), DORAMS: float64(2 * (i + 1))})
	}
	cs = append(cs, Client{MAC: "late", Err: "no ACK", OfferMS: 1000})
	s := Check(cs, 2*time.Second)
	want := Summary{Clients: 101, Acked: 100, Failed: 1, WallS: 2, OffersPerS: 50.5, DORAPerS: 50,
		OfferMS: Pcts{P50: 51, P90: 91, P99: 100, Max: 1000}, DORAMS: Pcts{P50: 100, P90: 180, P99: 198, Max: 200}}
	s.Problems = nil
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Check(100 acked, 1 failed) = %+v, want %+v", s, want)
	}
}

func TestOptionsValidate(t *testing.T) {
	o := Options{Clients: 1, Known: make([]Known, 2), StepTimeout: -1}
	err := o.Validate()
	if !errors.Is(err, ErrOptions) {
		t.Fatalf("Validate() = %v, want ErrOptions", err)
	}
	for _, field := range []string{"Iface", "Known", "Concurrency", "StepTimeout", "Timeout"} {
		if !strings.Contains(err.Error(), ": "+field+": ") {
			t.Errorf("Validate() = %q, want a problem naming %s", err, field)
		}
	}
	if _, _, err := Run(context.Background(), o); !errors.Is(err, ErrOptions) {
		t.Errorf("Run(bad options) = %v, want ErrOptions", err)
	}
}

func TestUnknownMAC(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range []int{0, 1, 255, 256, 1 << 16, 1<<24 - 1} {
		m := UnknownMAC(i).String()
		if seen[m] || m[:2] != "02" {
			t.Errorf("UnknownMAC(%d) = %q, want a new locally administered MAC", i, m)
		}
		seen[m] = true
	}
	if got := UnknownMAC(258).String(); got != "02:d1:0a:00:01:02" {
		t.Errorf("UnknownMAC(258) = %q, want %q", got, "02:d1:0a:00:01:02")
	}
}
