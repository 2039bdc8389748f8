package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rambox/bench/internal/benchdata"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "timings.json")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTimingRecords(t *testing.T) {
	// The contract of `rambox build --timings FILE`.
	p := writeFile(t, `{"stages":[{"name":"fetch","seconds":0.41},{"name":"toolchain","seconds":3.2},
		{"name":"kernel","seconds":230.5},{"name":"busybox","seconds":41},{"name":"initramfs","seconds":2.25},
		{"name":"export","seconds":0.9}]}`)
	recs, err := timingRecords(p, 2, "build.stage", "stage {stage}: clean build")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		v    float64
	}{{"fetch", 0.41}, {"toolchain", 3.2}, {"kernel", 230.5}, {"busybox", 41}, {"initramfs", 2.25}, {"export", 0.9}}
	if len(recs) != len(want) {
		t.Fatalf("timingRecords gave %d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		s := recs[i].Sample
		if s.ID != "build.stage."+w.name || s.Stage != w.name || s.Title != "stage "+w.name+": clean build" ||
			s.Unit != "s" || s.Run != 2 || s.Value != w.v || s.Compare != nil {
			t.Errorf("record %d = %+v, want stage %s = %v s in run 2", i, *s, w.name, w.v)
		}
	}
}

func TestTimingRecordsErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"not json", `stages: none`, "invalid character"},
		{"no stages", `{"stages":[]}`, "no stages"},
		{"no name", `{"stages":[{"seconds":1}]}`, "has no name"},
		{"no seconds", `{"stages":[{"name":"kernel"}]}`, `"kernel" has no seconds`},
		{"twice", `{"stages":[{"name":"kernel","seconds":1},{"name":"kernel","seconds":2}]}`, `"kernel" twice`},
		{"negative", `{"stages":[{"name":"kernel","seconds":-1}]}`, "non-negative"},
	}
	for _, tt := range tests {
		_, err := timingRecords(writeFile(t, tt.json), 1, "p", "t {stage}")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := timingRecords(writeFile(t, `{"stages":[{"name":"kernel","seconds":1}]}`), 0, "p", "t"); err == nil {
		t.Error("run 0: no error")
	}
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.jsonl")
	if err := sample(file, []string{"-id", "a", "-title", "A", "-unit", "s", "-run", "1", "-value", "1"}); err == nil {
		t.Error("sample before start: no error")
	}
	t.Setenv("BENCH_NOTE", "shared machine")
	if err := start(file, []string{"x"}); err != nil {
		t.Fatal(err)
	}
	steps := [][]string{
		{"-id", "t", "-title", "T", "-unit", "ms", "-target", "ratio <= 0.5", "-run", "1", "-value", "69", "-compare", "232"},
		{"-id", "t", "-title", "T", "-unit", "ms", "-target", "ratio <= 0.5", "-run", "2", "-value", " 71\n", "-compare", "230"},
	}
	for _, args := range steps {
		if err := sample(file, args); err != nil {
			t.Fatal(err)
		}
	}
	for name, args := range map[string][]string{
		"empty value":   {"-id", "t", "-title", "T", "-unit", "ms", "-run", "3", "-value", ""},
		"empty compare": {"-id", "t", "-title", "T", "-unit", "ms", "-run", "3", "-value", "1", "-compare", ""},
		"no value":      {"-id", "t", "-title", "T", "-unit", "ms", "-run", "3"},
		"bad unit":      {"-id", "t", "-title", "T", "-unit", "min", "-run", "3", "-value", "1"},
	} {
		if err := sample(file, args); err == nil {
			t.Errorf("sample with %s: no error", name)
		}
	}
	if err := note(file, []string{"skipped", "x"}); err != nil {
		t.Fatal(err)
	}
	f, err := benchdata.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta.Bench != "x" || f.Meta.Cores < 1 || f.Meta.Note != "shared machine" || len(f.Samples) != 2 ||
		f.Samples[1].Value != 71 || len(f.Notes) != 1 || f.Notes[0] != "skipped x" {
		t.Errorf("recorded file = %+v", f)
	}
}
