package progress

import (
	"fmt"
	"io"
)

// Plain writes one line per stage when it ends, for logs that are not a
// terminal (CI): nothing is redrawn, so nothing is garbled.
type Plain struct {
	W      io.Writer
	Prefix string // e.g. "rambox build: "
}

// Handle prints e if it ends a stage.
func (p Plain) Handle(e Event) {
	if e.Status.Ended() {
		fmt.Fprintln(p.W, p.Prefix+line(e.Stage, e.Took, e.Status))
	}
}
