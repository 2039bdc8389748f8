package status

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable writes s as two aligned text tables, groups then nodes, with
// shortened digests (the JSON has them in full).
func WriteTable(w io.Writer, s Snapshot) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "server %s, %s\n\n", dash(s.Server), s.Generated.UTC().Format("2006-01-02 15:04:05Z"))
	fmt.Fprintln(tw, "GROUP\tSTATE\tSERVING\tCANARY\tDESIRED\tPREVIOUS\tCANARY NODES\tREASON")
	for _, g := range s.Groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Name, dash(g.State),
			dash(Short(g.Serving)), dash(Short(g.Canary)), dash(Short(g.Desired)), dash(Short(g.Previous)),
			dash(strings.Join(g.CanaryNodes, ",")), oneLine(g.Reason))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "NODE\tGROUP\tMAC\tIP\tSTATE\tRESULT\tGIVEN\tBOOTED\tBOOT\tLAST DHCP\tLAST FILE\tLAST REPORT\tFLAG")
	for _, n := range s.Nodes {
		last := Ago(n.LastFile, s.Generated)
		if n.LastFileName != "" {
			last = n.LastFileName + " " + last
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, n.Group, n.MAC, dash(n.IP),
			dash(n.State), dash(n.Result), dash(Short(n.Given)), dash(Short(n.Booted)), BootTime(n.BootTime),
			Ago(n.LastDHCP, s.Generated), last, Ago(n.LastReport, s.Generated), oneLine(n.Flag))
	}
	return tw.Flush()
}

// oneLine keeps a free-text field from breaking the table's rows and columns.
func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s)
}
