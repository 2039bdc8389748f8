package progress

import (
	"bytes"
	"strings"
	"sync"

	"rambox/selftest"
)

// Ran watches the engine's log for the line a stage's script prints as
// its step starts (marker + step name, e.g. "rambox-stage: kernel
// build"). The engine shows a step's output as "| LINE", and a step
// served from its cache runs nothing and prints nothing, so a step whose
// line never came was a cache hit. Lines where the marker is not the
// step's output, such as the script's own text shown as a file's
// contents, are not counted.
//
// The log can trail the step's end by the engine's render tick (50 ms);
// every step with a marker runs for seconds after printing it, so by the
// time its stage returns the line has come.
type Ran struct {
	marker string

	mu      sync.Mutex
	seen    map[string]bool
	partial []byte // the last line, until its newline comes
}

// NewRan returns a Ran looking for "| " + marker.
func NewRan(marker string) *Ran {
	return &Ran{marker: "| " + marker, seen: map[string]bool{}}
}

// Write takes the engine's log; it never fails.
func (r *Ran) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.partial = append(r.partial, p...)
	for {
		i := bytes.IndexByte(r.partial, '\n')
		if i < 0 {
			break
		}
		text := string(selftest.Clean(r.partial[:i]))
		r.partial = r.partial[i+1:]
		if _, step, ok := strings.Cut(text, r.marker); ok {
			r.seen[strings.TrimSpace(step)] = true
		}
	}
	return len(p), nil
}

// Seen says whether step's line has come: the step ran.
func (r *Ran) Seen(step string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[step]
}
