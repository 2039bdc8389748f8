package benchdata

import (
	"fmt"
	"sort"
	"strings"
)

// unit is a unit of measurement: its dimension and its size in the
// dimension's base unit (seconds, bytes).
type unit struct {
	dim   string
	scale float64
}

// units are the units samples and targets may use. MB is 10^6 bytes,
// MiB 2^20; MB/s is a throughput.
var units = map[string]unit{
	"ms":   {"time", 1e-3},
	"s":    {"time", 1},
	"B":    {"size", 1},
	"KB":   {"size", 1e3},
	"MB":   {"size", 1e6},
	"KiB":  {"size", 1 << 10},
	"MiB":  {"size", 1 << 20},
	"MB/s": {"rate", 1e6},
	// msg/s: protocol messages (DHCP OFFERs, ACKs) answered per second.
	"msg/s": {"message rate", 1},
}

func unitNames() string {
	var names []string
	for n := range units {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// convert expresses v, measured in from, in to.
func convert(v float64, from, to string) (float64, error) {
	f, ok := units[from]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", from)
	}
	t, ok := units[to]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", to)
	}
	if f.dim != t.dim {
		return 0, fmt.Errorf("cannot compare %s (%s) with %s (%s)", from, f.dim, to, t.dim)
	}
	return v * f.scale / t.scale, nil
}
