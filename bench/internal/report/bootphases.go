package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"rambox/atomicfile"
	"rambox/bench/internal/barchart"
	"rambox/bench/internal/benchdata"
	"rambox/boot/breakdown"
)

// bootPhasePrefix starts the ids bench/bootbreak.sh records a boot phase
// under: boot-phases.PROFILE.WAY.PHASE (a profile name has dots in it,
// so the id is read from its end).
const bootPhasePrefix = "boot-phases."

// bootBar is one bar of the boot-phase chart: a profile booted one way.
type bootBar struct {
	label   string // "linux-6.1 http"
	seconds map[string]float64
	runs    int
}

// bootBars collects the boot-phase rows into bars, in the order their
// first row appears; rows of phases breakdown does not know (the total)
// are left out.
func bootBars(rows []benchdata.Row) ([]barchart.StackedBar, int, error) {
	known := map[string]bool{}
	for _, p := range breakdown.PhaseNames {
		known[p] = true
	}
	var order []string
	bars := map[string]*bootBar{}
	minRuns := 0
	for _, r := range rows {
		rest, ok := strings.CutPrefix(r.ID, bootPhasePrefix)
		if !ok {
			continue
		}
		i := strings.LastIndex(rest, ".")
		j := strings.LastIndex(rest[:max(i, 0)], ".")
		if i < 0 || j < 0 {
			return nil, 0, fmt.Errorf("boot phase row %q: want %sPROFILE.WAY.PHASE", r.ID, bootPhasePrefix)
		}
		profile, way, phase := rest[:j], rest[j+1:i], rest[i+1:]
		if !known[phase] {
			continue
		}
		if r.Unit != "s" {
			return nil, 0, fmt.Errorf("boot phase row %q: unit %q, want s", r.ID, r.Unit)
		}
		key := profile + " " + way
		b := bars[key]
		if b == nil {
			b = &bootBar{label: key, seconds: map[string]float64{}}
			bars[key] = b
			order = append(order, key)
		}
		b.seconds[phase] = r.Median
		if minRuns == 0 || r.Runs < minRuns {
			minRuns = r.Runs
		}
	}
	var out []barchart.StackedBar
	for _, key := range order {
		b := bars[key]
		sb := barchart.StackedBar{Label: b.label}
		total := 0.0
		for _, p := range breakdown.PhaseNames {
			v, ok := b.seconds[p]
			if !ok {
				return nil, 0, fmt.Errorf("boot phases of %s: no %q row (%s%s.%s)", key, p, bootPhasePrefix, strings.ReplaceAll(key, " ", "."), p)
			}
			sb.Values = append(sb.Values, v)
			total += v
		}
		sb.Text = benchdata.FormatValue(total, "s")
		out = append(out, sb)
	}
	return out, minRuns, nil
}

// writeBootChart draws the boot-phase chart to path and returns its path
// relative to the report at out, or removes an old chart and returns ""
// when no boot phases were recorded.
func writeBootChart(rows []benchdata.Row, path, out string) (string, error) {
	bars, runs, err := bootBars(rows)
	if err != nil {
		return "", err
	}
	if len(bars) == 0 {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return "", err // a chart of older results must not stay beside this report
		}
		return "", nil
	}
	c := barchart.Stacked{
		Title:  "PXE power-on -> selftest done: median seconds per boot phase",
		Series: breakdown.PhaseNames,
		Bars:   bars,
		Footer: []string{
			fmt.Sprintf("Medians of %d or more runs per phase; a bar is the sum of its phases' medians.", runs),
			"QEMU TCG, SeaBIOS + iPXE ROM, printk.time=1 initcall_debug loglevel=8. Figures: bench/REPORT.md.",
		},
	}
	png, err := c.PNG()
	if err != nil {
		return "", err
	}
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { _, err := w.Write(png); return err }); err != nil {
		return "", err
	}
	rel, err := filepath.Rel(filepath.Dir(out), path)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}

// bootSection is REPORT.md's part on the boot phases.
func bootSection(chart string) string {
	return "\n## Where the boot time goes\n\n" +
		"Median seconds per boot phase, PXE power-on to the selftest's end, per profile and way " +
		"(bench/bootbreak.sh; boot/breakdown cuts each serial log into phases; the table above has every phase's row, " +
		"its notes name the slowest initcalls):\n\n" +
		"![median seconds per boot phase](" + chart + ")\n"
}
