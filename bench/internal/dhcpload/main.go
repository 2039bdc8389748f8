// Command dhcpload runs simulated DHCP clients (serve/dhcp/dhcpload) on one interface
// and prints a JSON result: the summary (offers/s, latency percentiles,
// problems) and, with --detail, every client's outcome. It exits 1 when
// Check found a problem, 2 when the run could not start.
//
// Run it in the clients' namespace, e.g.
//
//	ip netns exec NS dhcpload --iface veth0 --clients 1000 --inventory-macs nodes.yaml
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"rambox/pxe"
	"rambox/serve/dhcp/dhcpload"
)

// Output is what dhcpload prints.
type Output struct {
	Summary dhcpload.Summary  `json:"summary"`
	Clients []dhcpload.Client `json:"clients,omitempty"`
}

func main() {
	o := dhcpload.Options{}
	flag.StringVar(&o.Iface, "iface", "", "the clients' interface (no address needed)")
	flag.IntVar(&o.Clients, "clients", 1000, "clients in all: the inventory's nodes first, then unknown ones")
	inventory := flag.String("inventory-macs", "", "nodes.yaml whose nodes' MACs are clients that must be acked their fixed addresses")
	flag.IntVar(&o.Concurrency, "concurrency", 64, "clients in flight at once")
	flag.DurationVar(&o.Timeout, "timeout", 60*time.Second, "the whole run; clients not done by then fail")
	flag.DurationVar(&o.StepTimeout, "step-timeout", 2*time.Second, "wait for an OFFER or ACK before resending")
	flag.IntVar(&o.Retries, "retries", 3, "resends per step")
	detail := flag.Bool("detail", false, "print every client's outcome too")
	flag.Parse()
	if *inventory != "" {
		inv, err := pxe.LoadInventory(*inventory)
		if err != nil {
			fmt.Fprintf(os.Stderr, "dhcpload: --inventory-macs: %v\n", err)
			os.Exit(2)
		}
		for _, n := range inv.Nodes {
			o.Known = append(o.Known, dhcpload.Known{MAC: n.MAC, IP: n.IP})
		}
	}
	cs, wall, err := dhcpload.Run(context.Background(), o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dhcpload: %v\n", err)
		os.Exit(2)
	}
	out := Output{Summary: dhcpload.Check(cs, wall)}
	if *detail {
		out.Clients = cs
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "dhcpload: %v\n", err)
		os.Exit(2)
	}
	if len(out.Summary.Problems) > 0 {
		os.Exit(1)
	}
}
