package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rambox/bench/internal/benchdata"
	"rambox/boot/breakdown"
)

// bootResults is a boot-phases results file: every phase of two ways of
// linux-6.1 over two runs, and a total row the chart leaves out.
func bootResults(skip string) string {
	var b strings.Builder
	b.WriteString(`{"meta":{"bench":"boot-phases","date":"2026-12-04","cores":2,"load":0}}` + "\n")
	for run := 1; run <= 2; run++ {
		for _, way := range []string{"http", "tftp"} {
			for i, p := range append(breakdown.PhaseNames, "total") {
				if p == skip {
					continue
				}
				fmt.Fprintf(&b, `{"sample":{"id":"boot-phases.linux-6.1.%s.%s","title":"linux-6.1 %s %s","unit":"s","run":%d,"value":%g}}`+"\n",
					way, p, way, p, run, 0.1*float64(i+run))
			}
		}
	}
	return b.String()
}

func TestRunBootChart(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results")
	os.Mkdir(results, 0o755)
	os.WriteFile(filepath.Join(results, "boot-phases.jsonl"), []byte(bootResults("")), 0o644)
	out, boot := filepath.Join(dir, "REPORT.md"), filepath.Join(dir, "boot-phases.png")
	if err := run(results, out, filepath.Join(dir, "build-stages.png"), boot, []string{"boot-phases"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(boot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("boot chart: %v", err)
	}
	md, _ := os.ReadFile(out)
	if !bytes.Contains(md, []byte("## Where the boot time goes")) || !bytes.Contains(md, []byte("![median seconds per boot phase](boot-phases.png)")) {
		t.Errorf("REPORT.md lacks the boot section:\n%s", md)
	}

	// Results without boot phases remove an old chart and the section.
	os.WriteFile(filepath.Join(results, "boot-phases.jsonl"), []byte(`{"meta":{"bench":"pull","date":"2026-12-04","cores":2,"load":0}}`+"\n"), 0o644)
	if err := run(results, out, filepath.Join(dir, "build-stages.png"), boot, []string{"pull"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(boot); !os.IsNotExist(err) {
		t.Errorf("old boot chart still there: %v", err)
	}
	if md, _ := os.ReadFile(out); bytes.Contains(md, []byte("boot time goes")) {
		t.Errorf("REPORT.md has a boot section without boot phases")
	}
}

func TestBootBars(t *testing.T) {
	summarize := func(results string) []benchdata.Row {
		t.Helper()
		path := filepath.Join(t.TempDir(), "r.jsonl")
		os.WriteFile(path, []byte(results), 0o644)
		f, err := benchdata.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := benchdata.Summarize(f.Meta.Bench, f.Samples)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	bars, runs, err := bootBars(summarize(bootResults("")))
	if err != nil {
		t.Fatal(err)
	}
	if len(bars) != 2 || bars[0].Label != "linux-6.1 http" || bars[1].Label != "linux-6.1 tftp" || runs != 2 {
		t.Fatalf("bootBars = %d bars (%v), %d runs; want linux-6.1 http and tftp, 2 runs", len(bars), bars, runs)
	}
	// Phase i's median over runs 1 and 2 is 0.1*(i+1.5).
	for i, v := range bars[0].Values {
		if want := 0.1 * (float64(i) + 1.5); v < want-1e-9 || v > want+1e-9 {
			t.Errorf("bar %q phase %s = %v, want %v", bars[0].Label, breakdown.PhaseNames[i], v, want)
		}
	}
	if bars[0].Text != "6.00 s" {
		t.Errorf("bar text = %q, want 6.00 s (the sum of the medians)", bars[0].Text)
	}
	if _, _, err := bootBars(summarize(bootResults(breakdown.Transfer))); err == nil || !strings.Contains(err.Error(), `no "transfer" row`) {
		t.Errorf("bootBars without a transfer row: error %v, want one naming it", err)
	}
	bad := []benchdata.Row{{ID: "boot-phases.transfer", Unit: "s"}}
	if _, _, err := bootBars(bad); err == nil || !strings.Contains(err.Error(), "boot-phases.transfer") {
		t.Errorf("bootBars(%q) error = %v, want one naming the id", bad[0].ID, err)
	}
}
