package benchdata

import (
	"bytes"
	"strings"
	"testing"
)

const metaLine = `{"meta":{"bench":"x","date":"2026-01-02","cores":2,"load":0}}`

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "no meta line"},
		{"sample before meta", `{"sample":{"id":"a","title":"A","unit":"s","run":1,"value":1}}`, "first record must be the meta line"},
		{"two metas", metaLine + "\n" + metaLine, "a second meta line"},
		{"bad json", metaLine + "\n{", "x.jsonl:2:"},
		{"unknown field", metaLine + "\n" + `{"sample":{"id":"a","title":"A","unit":"s","run":1,"value":1,"valu":2}}`, "unknown field"},
		{"unknown unit", metaLine + "\n" + `{"sample":{"id":"a","title":"A","unit":"h","run":1,"value":1}}`, `unit "h"`},
		{"run 0", metaLine + "\n" + `{"sample":{"id":"a","title":"A","unit":"s","run":0,"value":1}}`, "runs count from 1"},
		{"negative", metaLine + "\n" + `{"sample":{"id":"a","title":"A","unit":"s","run":1,"value":-1}}`, "not a non-negative number"},
		{"zero comparison", metaLine + "\n" + `{"sample":{"id":"a","title":"A","unit":"s","run":1,"value":1,"compare":0}}`, "comparison value 0"},
		{"ratio target without comparison", metaLine + "\n" + `{"sample":{"id":"a","title":"A","unit":"s","target":"ratio <= 1","run":1,"value":1}}`, "no comparison value"},
		{"target of another dimension", metaLine + "\n" + `{"sample":{"id":"a","title":"A","unit":"s","target":"<= 1 MB","run":1,"value":1}}`, "cannot compare s"},
		{"two kinds in one record", metaLine + "\n" + `{"note":"n","sample":{"id":"a","title":"A","unit":"s","run":1,"value":1}}`, "exactly one"},
		{"meta without cores", `{"meta":{"bench":"x","date":"2026-01-02"}}`, "cores 0"},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.in), "x.jsonl")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Read() error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestAppendRead(t *testing.T) {
	var buf bytes.Buffer
	c := 232.0
	recs := []Record{
		{Meta: &Meta{Bench: "initramfs", Date: "2026-01-02", Cores: 2, Commit: "abc", Load: 0.25}},
		{Sample: &Sample{ID: "t", Title: "T | pipe", Unit: "ms", Target: "ratio <= 0.50", Run: 1, Value: 69, Compare: &c}},
		{Note: "a note"},
	}
	for _, r := range recs {
		if err := Append(&buf, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := Append(&buf, Record{Sample: &Sample{ID: "t", Title: "T", Unit: "ms", Run: 1, Value: -1}}); err == nil {
		t.Error("Append of a negative value: no error")
	}
	f, err := Read(&buf, "r")
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta != *recs[0].Meta || len(f.Samples) != 1 || f.Samples[0].Value != 69 || *f.Samples[0].Compare != 232 ||
		f.Samples[0].Title != "T | pipe" || len(f.Notes) != 1 || f.Notes[0] != "a note" {
		t.Errorf("round trip = %+v", f)
	}
}
