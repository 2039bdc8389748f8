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
