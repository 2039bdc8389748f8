package benchdata

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Report is what REPORT.md shows: the benches' rows in table order.
type Report struct {
	Files   []*File  // in table order
	Rows    []Row    // every file's rows, in table order
	Missing []string // expected benches without results
	Chart   string   // the chart's path relative to REPORT.md; "" for none
}

// Build summarizes files into a report. Benches named in order come
// first, in that order, then any others by name; a name of order with no
// file is listed as missing.
func Build(files []*File, order []string) (*Report, error) {
	rank := map[string]int{}
	for i, b := range order {
		rank[b] = i
	}
	byBench := map[string]*File{}
	var errs []error
	for _, f := range files {
		if g, ok := byBench[f.Meta.Bench]; ok {
			errs = append(errs, fmt.Errorf("bench %q is in both %s and %s", f.Meta.Bench, g.Name, f.Name))
			continue
		}
		byBench[f.Meta.Bench] = f
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r := &Report{}
	for _, f := range byBench {
		r.Files = append(r.Files, f)
	}
	sort.Slice(r.Files, func(i, j int) bool {
		bi, bj := r.Files[i].Meta.Bench, r.Files[j].Meta.Bench
		ri, oki := rank[bi]
		rj, okj := rank[bj]
		switch {
		case oki && okj:
			return ri < rj
		case oki != okj:
			return oki
		}
		return bi < bj
	})
	for _, b := range order {
		if byBench[b] == nil {
			r.Missing = append(r.Missing, b)
		}
	}
	for _, f := range r.Files {
		rows, err := Summarize(f.Meta.Bench, f.Samples)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
		}
		r.Rows = append(r.Rows, rows...)
	}
	if _, err := Stages(r.Rows); err != nil {
		errs = append(errs, err)
	}
	return r, errors.Join(errs...)
}

// StageBar is one bar of the build-stage chart.
type StageBar struct {
	Stage   string
	Seconds float64
	Runs    int
}

// StageBars returns the median seconds of every timed build stage, in
// StageOrder, and the names of ChartStages without a timing.
func (r *Report) StageBars() (bars []StageBar, missing []string, err error) {
	rows, err := Stages(r.Rows)
	if err != nil {
		return nil, nil, err
	}
	have := map[string]bool{}
	for _, row := range rows {
		secs, err := convert(row.Median, row.Unit, "s")
		if err != nil {
			return nil, nil, fmt.Errorf("stage %q: %w", row.Stage, err)
		}
		bars = append(bars, StageBar{Stage: row.Stage, Seconds: secs, Runs: row.Runs})
		have[row.Stage] = true
	}
	for _, s := range ChartStages {
		if !have[s] {
			missing = append(missing, s)
		}
	}
	return bars, missing, nil
}

// FormatValue shows v with its unit: seconds as FormatNumber does; other
// units (counts of ms, bytes, KiB) as whole numbers when they are whole,
// else as FormatNumber does.
func FormatValue(v float64, unit string) string {
	if unit != "s" && v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64) + " " + unit
	}
	return FormatNumber(v) + " " + unit
}

// FormatNumber shows v with one decimal from 10 up, two from 0.1 up, and
// three below (a few milliseconds still show as seconds).
func FormatNumber(v float64) string {
	switch a := math.Abs(v); {
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// cell escapes what would end a markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// measuredLine says when, where and from which commit the figures come:
// one clause if every bench agrees, else one per bench.
func measuredLine(files []*File) string {
	where := func(m Meta) string {
		s := fmt.Sprintf("%s on %d cores", m.Date, m.Cores)
		if m.Arch != "" {
			s += " (" + m.Arch + ")"
		}
		if m.Commit != "" {
			s += " at commit " + m.Commit
			if m.Dirty {
				s += " plus uncommitted changes"
			}
		}
		return s
	}
	if len(files) == 0 {
		return "No results recorded yet."
	}
	same := true
	for _, f := range files[1:] {
		if where(f.Meta) != where(files[0].Meta) {
			same = false
		}
	}
	if same {
		return "Measured " + where(files[0].Meta) + "."
	}
	var parts []string
	for _, f := range files {
		parts = append(parts, f.Meta.Bench+" "+where(f.Meta))
	}
	return "Measured: " + strings.Join(parts, "; ") + "."
}

// Notes are the report's notes: the run's own notes ($BENCH_NOTE, then
// what the benches recorded), how figures are computed, what is missing.
func (r *Report) Notes() ([]string, error) {
	var notes []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			notes = append(notes, n)
		}
	}
	for _, f := range r.Files {
		add(f.Meta.Note)
	}
	if len(r.Files) > 0 {
		var loads []string
		for _, f := range r.Files {
			loads = append(loads, fmt.Sprintf("%s %.2f", f.Meta.Bench, f.Meta.Load))
		}
		add("1-minute load average when each bench started: " + strings.Join(loads, ", ") + ".")
	}
	add("Each median is over the runs counted in its row. A ratio is the median of the per-run ratios " +
		"(median column side / comparison side), the two sides measured back to back in the same run, " +
		"so it can differ slightly from the ratio of the two medians. MB is 10^6 bytes, KiB 1024 bytes.")
	for _, f := range r.Files {
		for _, n := range f.Notes {
			add(n)
		}
	}
	for _, b := range r.Missing {
		add(fmt.Sprintf("No results for %s: `just bench-%s` records them.", b, b))
	}
	bars, missing, err := r.StageBars()
	switch {
	case err != nil:
		return nil, err
	case len(bars) == 0:
		add("No build-stage timings recorded (`just bench-build` records them), so no chart.")
	case len(missing) > 0:
		add("No timing recorded for build stage(s) " + strings.Join(missing, ", ") + "; the chart leaves them out.")
	}
	return notes, nil
}

// Markdown renders REPORT.md: a title, the measured line, one table, the
// chart, notes. The same report gives the same bytes.
func (r *Report) Markdown() (string, error) {
	notes, err := r.Notes()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("# rambox benchmarks\n\n")
	b.WriteString(measuredLine(r.Files) + "\n")
	b.WriteString("Written by `just bench`: the scripts in bench/ record every run in bench/results/*.jsonl, " +
		"and bench/internal/report turns them into this file and the chart.\n\n")
	b.WriteString("| benchmark | median | runs | comparison median | ratio | target | met? |\n")
	b.WriteString("|---|---:|---:|---:|---:|---|---|\n")
	for _, row := range r.Rows {
		comp, ratio, target := "", "", ""
		if row.HasCompare {
			comp = FormatValue(row.CompareMedian, row.Unit)
			ratio = strconv.FormatFloat(row.Ratio, 'f', 2, 64)
		}
		if row.Target != nil {
			target = row.Target.String()
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s |\n",
			cell(row.Title), FormatValue(row.Median, row.Unit), row.Runs, comp, ratio, cell(target), row.Status())
	}
	if r.Chart != "" {
		fmt.Fprintf(&b, "\nWhere the build time goes (median seconds per stage):\n\n![median seconds per build stage](%s)\n", r.Chart)
	}
	if len(notes) > 0 {
		b.WriteString("\nNotes:\n\n")
		for _, n := range notes {
			b.WriteString("- " + n + "\n")
		}
	}
	return b.String(), nil
}
