package benchdata

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/REPORT.golden.md")

// readFixture reads testdata/results: initramfs, build (stage timings) and
// boot results, no pull results.
func readFixture(t *testing.T) []*File {
	t.Helper()
	paths, err := filepath.Glob("testdata/results/*.jsonl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixture results: %v", err)
	}
	var files []*File
	for _, p := range paths {
		f, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

func TestMarkdownGolden(t *testing.T) {
	rep, err := Build(readFixture(t), []string{"initramfs", "build", "pull", "boot"})
	if err != nil {
		t.Fatal(err)
	}
	rep.Chart = "build-stages.png"
	got, err := rep.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "REPORT.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("Markdown() differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

func TestStageBars(t *testing.T) {
	rep, err := Build(readFixture(t), []string{"initramfs", "build", "pull", "boot"})
	if err != nil {
		t.Fatal(err)
	}
	bars, missing, err := rep.StageBars()
	if err != nil {
		t.Fatal(err)
	}
	want := []StageBar{
		{"fetch", 0.41, 3}, {"toolchain", 3.2, 3}, {"kernel", 230, 3}, {"busybox", 41.5, 3},
		{"initramfs", 2.3, 3}, {"export", 1, 3}, {"sign", 0.06, 3}, {"publish", 0.28, 3},
	}
	if len(bars) != len(want) || len(missing) != 0 {
		t.Fatalf("StageBars() = %v, missing %v; want %v", bars, missing, want)
	}
	for i := range want {
		if bars[i] != want[i] {
			t.Errorf("bar %d = %+v, want %+v", i, bars[i], want[i])
		}
	}

	// Without the publish results, sign and publish are reported missing.
	files := readFixture(t)
	for _, f := range files {
		var keep []Sample
		for _, s := range f.Samples {
			if !strings.HasPrefix(s.ID, "publish.") {
				keep = append(keep, s)
			}
		}
		f.Samples = keep
	}
	rep, _ = Build(files, nil)
	rep.Chart = "c.png"
	notes, err := rep.Notes()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "build stage(s) sign, publish") {
		t.Errorf("notes without publish timings do not name sign and publish:\n%s", strings.Join(notes, "\n"))
	}
}

func TestBuildDuplicateBench(t *testing.T) {
	files := readFixture(t)
	dup := *files[0]
	dup.Name = "copy.jsonl"
	if _, err := Build(append(files, &dup), nil); err == nil || !strings.Contains(err.Error(), "in both") {
		t.Errorf("Build with a bench twice: error %v, want one saying it is in both files", err)
	}
}
