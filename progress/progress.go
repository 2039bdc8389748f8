// Package progress is what a person sees while `rambox build` runs: the
// pipeline's stages, each with its elapsed time and whether its step ran
// or came from the engine's cache. The pipeline reports Events; a Live
// view redraws them in place on a terminal, Plain prints one line per
// finished stage for CI logs. Neither needs an engine.
package progress

import (
	"fmt"
	"time"
)

// Status is where a stage is.
type Status int

const (
	Running Status = iota
	Built          // finished, and its step ran
	Cached         // finished, its step served from the engine's cache
	Done           // finished; the stage has no cache signal (fetch, export)
	Failed
)

var statusWords = [...]string{Running: "running", Built: "built", Cached: "cached", Done: "done", Failed: "failed"}

func (s Status) String() string {
	if s < 0 || int(s) >= len(statusWords) {
		return fmt.Sprintf("Status(%d)", int(s))
	}
	return statusWords[s]
}

// Ended says the stage will report nothing more.
func (s Status) Ended() bool { return s != Running }

// Event is one change of one stage. Took is the time since the stage
// started; it is zero for Running.
type Event struct {
	Stage  string
	Status Status
	Took   time.Duration
}

// line is the text of a stage's row, shared by both views so the two
// never disagree: name, seconds, status.
func line(stage string, took time.Duration, s Status) string {
	return fmt.Sprintf("%-16s %6.1f s  (%s)", stage, took.Seconds(), s)
}

// Stage reports stage as running, runs it, and reports how it ended: the
// status run returns, or Failed with run's error. Every stage of a build
// goes through here, so the views and --timings see the same events.
func Stage(report func(Event), stage string, run func() (Status, error)) error {
	report(Event{Stage: stage, Status: Running})
	start := time.Now()
	s, err := run()
	if err != nil {
		s = Failed
	}
	report(Event{Stage: stage, Status: s, Took: time.Since(start)})
	return err
}
