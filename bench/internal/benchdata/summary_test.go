package benchdata

import (
	"strings"
	"testing"
)

func ptr(v float64) *float64 { return &v }

func TestSummarize(t *testing.T) {
	samples := []Sample{
		{ID: "t", Title: "time", Unit: "ms", Target: "ratio <= 0.50", Run: 1, Value: 70, Compare: ptr(230)},
		{ID: "n", Title: "no-op", Unit: "s", Target: "<= 3 s", Run: 1, Value: 3.5},
		{ID: "t", Title: "time", Unit: "ms", Target: "ratio <= 0.50", Run: 2, Value: 90, Compare: ptr(150)},
		{ID: "n", Title: "no-op", Unit: "s", Target: "<= 3 s", Run: 2, Value: 2.5},
		{ID: "t", Title: "time", Unit: "ms", Target: "ratio <= 0.50", Run: 3, Value: 66, Compare: ptr(240)},
		{ID: "s", Title: "size", Unit: "B", Run: 1, Value: 100},
	}
	rows, err := Summarize("b", samples)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id     string
		runs   int
		median float64
		comp   float64
		ratio  float64
		status string
	}{
		// per-run ratios 0.304, 0.6, 0.275 -> 0.304 (= 70/230): met.
		{"t", 3, 70, 230, 70.0 / 230, "met"},
		// (3.5 + 2.5) / 2 = 3: met, on the limit.
		{"n", 2, 3, 0, 0, "met"},
		{"s", 1, 100, 0, 0, ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("Summarize gave %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.ID != w.id || r.Runs != w.runs || r.Median != w.median || r.CompareMedian != w.comp || r.Ratio != w.ratio || r.Status() != w.status {
			t.Errorf("row %d = %s runs %d median %v comp %v ratio %v %q; want %+v", i, r.ID, r.Runs, r.Median, r.CompareMedian, r.Ratio, r.Status(), w)
		}
	}

	// One more slow no-op run moves the median over the target.
	rows, _ = Summarize("b", append(samples, Sample{ID: "n", Title: "no-op", Unit: "s", Target: "<= 3 s", Run: 3, Value: 4}))
	if rows[1].Median != 3.5 || rows[1].Status() != "missed" {
		t.Errorf("no-op with a third run: median %v %q, want 3.5 missed", rows[1].Median, rows[1].Status())
	}
}

func TestSummarizeErrors(t *testing.T) {
	tests := []struct {
		name    string
		samples []Sample
		want    string
	}{
		{"run twice", []Sample{
			{ID: "a", Title: "A", Unit: "s", Run: 1, Value: 1},
			{ID: "a", Title: "A", Unit: "s", Run: 1, Value: 2},
		}, "run 1 recorded twice"},
		{"units differ", []Sample{
			{ID: "a", Title: "A", Unit: "s", Run: 1, Value: 1},
			{ID: "a", Title: "A", Unit: "ms", Run: 2, Value: 2},
		}, "differ"},
		{"comparison in some runs", []Sample{
			{ID: "a", Title: "A", Unit: "s", Run: 1, Value: 1, Compare: ptr(2)},
			{ID: "a", Title: "A", Unit: "s", Run: 2, Value: 2},
		}, "some runs have a comparison value"},
	}
	for _, tt := range tests {
		if _, err := Summarize("b", tt.samples); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Summarize() error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestStages(t *testing.T) {
	rows := []Row{
		{ID: "p.sign", Stage: "sign"},
		{ID: "x", Title: "not a stage"},
		{ID: "b.kernel", Stage: "kernel"},
		{ID: "b.extra", Stage: "extra"},
		{ID: "b.fetch", Stage: "fetch"},
		{ID: "p.publish", Stage: "publish"},
		{ID: "b.export", Stage: "export"},
	}
	got, err := Stages(rows)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range got {
		names = append(names, r.Stage)
	}
	if s, want := strings.Join(names, ","), "fetch,kernel,export,sign,publish,extra"; s != want {
		t.Errorf("Stages order = %s, want %s", s, want)
	}
	if _, err := Stages(append(rows, Row{ID: "other.kernel", Stage: "kernel"})); err == nil {
		t.Error("Stages with kernel timed twice: no error")
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{69, "ms", "69 ms"},
		{68.5, "ms", "68.5 ms"},
		{1678352, "B", "1678352 B"},
		{3218, "KiB", "3218 KiB"},
		{262.35, "s", "262.4 s"},
		{245, "s", "245.0 s"},
		{16.55, "s", "16.6 s"},
		{6.7, "s", "6.70 s"},
		{1, "s", "1.00 s"},
		{0.41, "s", "0.41 s"},
		{0.1, "s", "0.10 s"},
		{0.06, "s", "0.060 s"},
		{0.003, "s", "0.003 s"},
		{0, "s", "0.000 s"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}

func TestMeasuredLine(t *testing.T) {
	a := &File{Meta: Meta{Bench: "a", Date: "2026-01-02", Cores: 2, Arch: "amd64", Commit: "abc"}}
	b := &File{Meta: Meta{Bench: "b", Date: "2026-01-02", Cores: 2, Arch: "amd64", Commit: "abc", Load: 3}}
	c := &File{Meta: Meta{Bench: "c", Date: "2026-01-03", Cores: 2, Commit: "def", Dirty: true}}
	tests := []struct {
		files []*File
		want  string
	}{
		{nil, "No results recorded yet."},
		{[]*File{a, b}, "Measured 2026-01-02 on 2 cores (amd64) at commit abc."},
		{[]*File{a, c}, "Measured: a 2026-01-02 on 2 cores (amd64) at commit abc; c 2026-01-03 on 2 cores at commit def plus uncommitted changes."},
	}
	for _, tt := range tests {
		if got := measuredLine(tt.files); got != tt.want {
			t.Errorf("measuredLine() = %q, want %q", got, tt.want)
		}
	}
}
