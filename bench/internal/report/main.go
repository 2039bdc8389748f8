// Command report reads the results the bench scripts recorded
// (bench/results/*.jsonl) and writes bench/REPORT.md, one table of
// medians, ratios and targets, bench/build-stages.png, the median
// seconds per build stage, and bench/boot-phases.png, the median seconds
// per boot phase of each profile and way (bench/bootbreak.sh). `just
// bench` runs it after every benchmark.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"rambox/atomicfile"
	"rambox/bench/internal/barchart"
	"rambox/bench/internal/benchdata"
)

func main() {
	results := flag.String("results", "bench/results", "`directory` of results files (*.jsonl)")
	out := flag.String("o", "bench/REPORT.md", "report `file`")
	chart := flag.String("chart", "bench/build-stages.png", "build-stage chart `file` (PNG)")
	bootChart := flag.String("boot-chart", "bench/boot-phases.png", "boot-phase chart `file` (PNG)")
	order := flag.String("order", "initramfs,build,editloop,pull,boot", "benches in table order, `comma-separated`; a missing one is noted")
	flag.Parse()
	if err := run(*results, *out, *chart, *bootChart, strings.Split(*order, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(resultsDir, out, chartPath, bootChartPath string, order []string) error {
	paths, err := filepath.Glob(filepath.Join(resultsDir, "*.jsonl"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	var files []*benchdata.File
	for _, p := range paths {
		f, err := benchdata.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	rep, err := benchdata.Build(files, order)
	if err != nil {
		return err
	}
	bars, _, err := rep.StageBars()
	if err != nil {
		return err
	}
	if len(bars) > 0 {
		png, err := stageChart(bars).PNG()
		if err != nil {
			return err
		}
		if err := atomicfile.Write(chartPath, 0o644, func(w io.Writer) error { _, err := w.Write(png); return err }); err != nil {
			return err
		}
		if rep.Chart, err = filepath.Rel(filepath.Dir(out), chartPath); err != nil {
			return err
		}
		rep.Chart = filepath.ToSlash(rep.Chart)
	} else if err := os.Remove(chartPath); err != nil && !os.IsNotExist(err) {
		return err // a chart of older results must not stay beside this report
	}
	md, err := rep.Markdown()
	if err != nil {
		return err
	}
	bootRel, err := writeBootChart(rep.Rows, bootChartPath, out)
	if err != nil {
		return err
	}
	if bootRel != "" {
		md += bootSection(bootRel)
	}
	if err := atomicfile.Write(out, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, md); return err }); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report: wrote %s (%d rows from %d results files)", out, len(rep.Rows), len(files))
	if rep.Chart != "" {
		fmt.Fprintf(os.Stderr, " and %s", chartPath)
	}
	if bootRel != "" {
		fmt.Fprintf(os.Stderr, " and %s", bootChartPath)
	}
	fmt.Fprintln(os.Stderr)
	return nil
}

// stageChart is the chart of where the build time goes.
func stageChart(bars []benchdata.StageBar) barchart.Chart {
	c := barchart.Chart{Title: "rambox build + rambox publish: median seconds per stage"}
	total, minRuns, maxRuns := 0.0, bars[0].Runs, bars[0].Runs
	for _, b := range bars {
		total += b.Seconds
		minRuns, maxRuns = min(minRuns, b.Runs), max(maxRuns, b.Runs)
	}
	for _, b := range bars {
		text := benchdata.FormatValue(b.Seconds, "s")
		if total > 0 {
			text += fmt.Sprintf(" (%.0f%%)", 100*b.Seconds/total)
		}
		c.Bars = append(c.Bars, barchart.Bar{Label: b.Stage, Value: b.Seconds, Text: text})
	}
	runs := fmt.Sprint(minRuns)
	if minRuns != maxRuns {
		runs = fmt.Sprintf("%d-%d", minRuns, maxRuns)
	}
	c.Footer = []string{
		fmt.Sprintf("Medians of %s runs; the stages add up to %s. Figures: bench/REPORT.md.", runs, benchdata.FormatValue(total, "s")),
	}
	return c
}
