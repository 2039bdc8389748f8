package dhcpload

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"time"
)

// Summary is a run's figures and the problems Check found.
type Summary struct {
	Clients    int     `json:"clients"`
	Known      int     `json:"known"`
	Acked      int     `json:"acked"`
	Failed     int     `json:"failed"`
	Resends    int     `json:"resends"`
	Naks       int     `json:"naks"`
	WallS      float64 `json:"wall_s"`
	OffersPerS float64 `json:"offers_per_s"` // OFFERs received / wall time
	DORAPerS   float64 `json:"dora_per_s"`   // ACKs received / wall time
	OfferMS    Pcts    `json:"offer_ms"`
	DORAMS     Pcts    `json:"dora_ms"`
	// Problems: each duplicate address, wrong fixed address and failed
	// client (the first 20 failures; Failed counts them all).
	Problems []string `json:"problems,omitempty"`
}

// Pcts are latency percentiles (nearest rank), in milliseconds.
type Pcts struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// maxFailuresListed keeps a run where everything failed readable.
const maxFailuresListed = 20

// Check summarizes a run's outcomes and lists what is wrong: an address
// acked to two MACs, an inventory MAC acked another address than its
// fixed one, a client that did not finish.
func Check(cs []Client, wall time.Duration) Summary {
	s := Summary{Clients: len(cs), WallS: wall.Seconds()}
	var offers, doras []float64
	byIP := map[netip.Addr][]string{}
	listed := 0
	for _, c := range cs {
		if c.Known {
			s.Known++
		}
		s.Resends += c.Resends
		s.Naks += c.Naks
		if c.OfferMS > 0 {
			offers = append(offers, c.OfferMS)
		}
		if c.Err != "" || !c.IP.IsValid() {
			s.Failed++
			if listed < maxFailuresListed {
				listed++
				s.Problems = append(s.Problems, fmt.Sprintf("client %s: %s", c.MAC, c.Err))
			}
			continue
		}
		s.Acked++
		doras = append(doras, c.DORAMS)
		byIP[c.IP] = append(byIP[c.IP], c.MAC)
		if c.Known && c.IP != c.Want {
			s.Problems = append(s.Problems, fmt.Sprintf("inventory MAC %s: acked %s, want its fixed %s", c.MAC, c.IP, c.Want))
		}
	}
	ips := make([]netip.Addr, 0, len(byIP))
	for ip, macs := range byIP {
		if len(macs) > 1 {
			ips = append(ips, ip)
		}
	}
	slices.SortFunc(ips, netip.Addr.Compare)
	for _, ip := range ips {
		s.Problems = append(s.Problems, fmt.Sprintf("address %s acked to %d MACs: %v", ip, len(byIP[ip]), byIP[ip]))
	}
	if wall > 0 {
		s.OffersPerS = round(float64(len(offers)) / wall.Seconds())
		s.DORAPerS = round(float64(len(doras)) / wall.Seconds())
	}
	s.OfferMS, s.DORAMS = percentiles(offers), percentiles(doras)
	s.WallS = round(s.WallS)
	return s
}

// percentiles by nearest rank; zero for no values.
func percentiles(v []float64) Pcts {
	if len(v) == 0 {
		return Pcts{}
	}
	v = slices.Clone(v)
	sort.Float64s(v)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(v)))) - 1
		return round(v[max(i, 0)])
	}
	return Pcts{P50: rank(50), P90: rank(90), P99: rank(99), Max: round(v[len(v)-1])}
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }
