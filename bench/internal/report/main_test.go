package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// The program end to end on the fixture results: the report is the
// golden one, the chart decodes, and a rerun gives the same bytes.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	out, chart := filepath.Join(dir, "REPORT.md"), filepath.Join(dir, "build-stages.png")
	results := filepath.Join("..", "benchdata", "testdata", "results")
	order := []string{"initramfs", "build", "pull", "boot"}
	if err := run(results, out, chart, filepath.Join(dir, "boot-phases.png"), order); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want, err := os.ReadFile(filepath.Join("..", "benchdata", "testdata", "REPORT.golden.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden report:\n%s", out, got)
	}
	pngBytes, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("chart: %v", err)
	}
	// 8 stages (fetch..export, sign, publish) and one footer line.
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 40+8*30+8+16+8 {
		t.Errorf("chart is %dx%d, want 800x%d", b.Dx(), b.Dy(), 40+8*30+8+16+8)
	}

	if err := run(results, out, chart, filepath.Join(dir, "boot-phases.png"), order); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(chart)
	if !bytes.Equal(again, pngBytes) {
		t.Error("a second run wrote a different PNG from the same results")
	}
}

// Without stage timings there is no chart, and an old one is removed.
func TestRunWithoutStages(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results")
	os.Mkdir(results, 0o755)
	os.WriteFile(filepath.Join(results, "pull.jsonl"), []byte(
		`{"meta":{"bench":"pull","date":"2026-01-02","cores":2,"load":0}}`+"\n"+
			`{"sample":{"id":"pull","title":"pull","unit":"ms","target":"<= 1000 ms","run":1,"value":38}}`+"\n"), 0o644)
	chart := filepath.Join(dir, "build-stages.png")
	os.WriteFile(chart, []byte("old"), 0o644)
	if err := run(results, filepath.Join(dir, "REPORT.md"), chart, filepath.Join(dir, "boot-phases.png"), []string{"pull"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(chart); !os.IsNotExist(err) {
		t.Errorf("old chart still there: %v", err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "REPORT.md"))
	if !bytes.Contains(md, []byte("| pull | 38 ms | 1 |  |  | <= 1000 ms | met |")) || !bytes.Contains(md, []byte("so no chart")) {
		t.Errorf("report without stages:\n%s", md)
	}
}
