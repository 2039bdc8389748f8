package benchdata

import (
	"errors"
	"fmt"
	"sort"
)

// Row is one line of the report's table: every run of one measurement.
type Row struct {
	Bench  string
	ID     string
	Title  string
	Unit   string
	Stage  string
	Target *Target // nil: no target

	Runs          int
	Median        float64
	HasCompare    bool
	CompareMedian float64
	Ratio         float64 // median of the per-run ratios Value / Compare
	Met           bool    // the target holds (meaningless without a target)
}

// Status is "met", "missed", or "" without a target.
func (r Row) Status() string {
	switch {
	case r.Target == nil:
		return ""
	case r.Met:
		return "met"
	}
	return "missed"
}

// Summarize groups a bench's samples by ID, in the order IDs first
// appear, and takes each group's medians. A group must agree on title,
// unit, target and stage, have distinct run numbers, and either every
// sample or none must carry a comparison value.
func Summarize(bench string, samples []Sample) ([]Row, error) {
	var order []string
	groups := map[string][]Sample{}
	for _, s := range samples {
		if _, ok := groups[s.ID]; !ok {
			order = append(order, s.ID)
		}
		groups[s.ID] = append(groups[s.ID], s)
	}
	var rows []Row
	var errs []error
	for _, id := range order {
		row, err := summarizeOne(bench, groups[id])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows = append(rows, row)
	}
	return rows, errors.Join(errs...)
}

func summarizeOne(bench string, g []Sample) (Row, error) {
	first := g[0]
	row := Row{Bench: bench, ID: first.ID, Title: first.Title, Unit: first.Unit, Stage: first.Stage,
		Runs: len(g), HasCompare: first.Compare != nil}
	seen := map[int]bool{}
	var vals, comps []float64
	for _, s := range g {
		switch {
		case s.Title != first.Title, s.Unit != first.Unit, s.Target != first.Target, s.Stage != first.Stage:
			return Row{}, fmt.Errorf("%s %q run %d: title, unit, target or stage differ from run %d", bench, s.ID, s.Run, first.Run)
		case (s.Compare != nil) != row.HasCompare:
			return Row{}, fmt.Errorf("%s %q run %d: some runs have a comparison value and some do not", bench, s.ID, s.Run)
		case seen[s.Run]:
			return Row{}, fmt.Errorf("%s %q: run %d recorded twice", bench, s.ID, s.Run)
		}
		seen[s.Run] = true
		vals = append(vals, s.Value)
		if s.Compare != nil {
			comps = append(comps, *s.Compare)
		}
	}
	row.Median = Median(vals)
	if row.HasCompare {
		row.CompareMedian = Median(comps)
		r, err := PairedRatio(vals, comps)
		if err != nil {
			return Row{}, fmt.Errorf("%s %q: %w", bench, first.ID, err)
		}
		row.Ratio = r
	}
	if first.Target != "" {
		t, err := ParseTarget(first.Target)
		if err != nil {
			return Row{}, fmt.Errorf("%s %q: %w", bench, first.ID, err)
		}
		row.Target = &t
		if t.Ratio {
			row.Met, err = t.Met(row.Ratio, "")
		} else {
			row.Met, err = t.Met(row.Median, row.Unit)
		}
		if err != nil {
			return Row{}, fmt.Errorf("%s %q: %w", bench, first.ID, err)
		}
	}
	return row, nil
}

// StageOrder is the order the chart draws build stages in; stages not
// named here follow in the order they were recorded. "kernel" is the one
// kernel stage results recorded before `rambox build` timed unpack,
// configure and build apart.
var StageOrder = []string{"fetch", "toolchain", "kernel", "kernel unpack", "kernel configure", "kernel build", "busybox", "initramfs", "export", "sign", "publish"}

// ChartStages are the stages: the chart and the report say when
// one of them has no timing.
var ChartStages = []string{"fetch", "toolchain", "kernel", "busybox", "initramfs", "sign", "publish"}

// Stages returns the rows that time a build stage, in StageOrder. Two
// rows for the same stage are an error.
func Stages(rows []Row) ([]Row, error) {
	rank := map[string]int{}
	for i, s := range StageOrder {
		rank[s] = i
	}
	var out []Row
	seen := map[string]string{}
	for _, r := range rows {
		if r.Stage == "" {
			continue
		}
		if id, ok := seen[r.Stage]; ok {
			return nil, fmt.Errorf("stage %q is timed by both %q and %q", r.Stage, id, r.ID)
		}
		seen[r.Stage] = r.ID
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, ok := rank[out[i].Stage]
		if !ok {
			ri = len(StageOrder)
		}
		rj, ok := rank[out[j].Stage]
		if !ok {
			rj = len(StageOrder)
		}
		return ri < rj
	})
	return out, nil
}
