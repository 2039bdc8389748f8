package main

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"rambox/atomicfile"
)

// stageTimings is what --timings writes: each stage's seconds, in the
// order the stages ran. The benchmark report reads it.
type stageTimings struct {
	Stages []stageTime `json:"stages"`
}

type stageTime struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

func (t *stageTimings) add(stage string, took time.Duration) {
	t.Stages = append(t.Stages, stageTime{stage, math.Round(took.Seconds()*1000) / 1000})
}

func (t *stageTimings) write(path string) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err })
}
