package progress

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"
)

// Live keeps one row per stage on a terminal and redraws every row in
// place (ANSI cursor-up and erase-line), so running stages count their
// seconds up while they run. Call Handle for each event and Redraw on a
// tick; Start does the ticking.
type Live struct {
	W   io.Writer
	Now func() time.Time // the clock; time.Now unless a test sets it

	mu     sync.Mutex
	rows   []row
	drawn  int // rows on screen from the last draw
	ticker *time.Ticker
	done   chan struct{}
}

type row struct {
	stage  string
	status Status
	start  time.Time
	took   time.Duration
}

// Handle records e and redraws.
func (l *Live) Handle(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := l.find(e.Stage)
	if i < 0 {
		l.rows = append(l.rows, row{stage: e.Stage, start: l.now()})
		i = len(l.rows) - 1
	}
	l.rows[i].status, l.rows[i].took = e.Status, e.Took
	l.draw()
}

// Redraw draws every row again, with running stages' seconds up to now.
func (l *Live) Redraw() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.draw()
}

// Start redraws every interval until Stop.
func (l *Live) Start(interval time.Duration) {
	l.ticker, l.done = time.NewTicker(interval), make(chan struct{})
	go func() {
		for {
			select {
			case <-l.ticker.C:
				l.Redraw()
			case <-l.done:
				return
			}
		}
	}()
}

// Stop ends the ticking and leaves the last drawing on screen.
func (l *Live) Stop() {
	l.ticker.Stop()
	close(l.done)
	l.Redraw()
}

func (l *Live) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Live) find(stage string) int {
	for i, r := range l.rows {
		if r.stage == stage {
			return i
		}
	}
	return -1
}

// draw writes all rows in one Write, first moving up over the previous
// drawing; rows are only ever added, so every old line is overwritten.
func (l *Live) draw() {
	var b bytes.Buffer
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", l.drawn)
	}
	for _, r := range l.rows {
		took := r.took
		if r.status == Running {
			took = l.now().Sub(r.start)
		}
		fmt.Fprintf(&b, "\r\x1b[2K%s\n", line(r.stage, took, r.status))
	}
	l.drawn = len(l.rows)
	l.W.Write(b.Bytes())
}
