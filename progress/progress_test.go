package progress

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// build is a build's events up to a failure in the kernel build.
var build = []Event{
	{Stage: "fetch", Status: Running},
	{Stage: "fetch", Status: Done, Took: sec(0.41)},
	{Stage: "toolchain", Status: Running},
	{Stage: "toolchain", Status: Done, Took: sec(3.2)},
	{Stage: "kernel unpack", Status: Running},
	{Stage: "kernel unpack", Status: Cached, Took: sec(0.04)},
	{Stage: "kernel build", Status: Running},
	{Stage: "kernel build", Status: Built, Took: sec(212.44)},
	{Stage: "busybox", Status: Running},
	{Stage: "busybox", Status: Failed, Took: sec(12.36)},
}

func TestPlain(t *testing.T) {
	var b bytes.Buffer
	p := Plain{W: &b, Prefix: "rambox build: "}
	for _, e := range build {
		p.Handle(e)
	}
	want := `rambox build: fetch               0.4 s  (done)
rambox build: toolchain           3.2 s  (done)
rambox build: kernel unpack       0.0 s  (cached)
rambox build: kernel build      212.4 s  (built)
rambox build: busybox            12.4 s  (failed)
`
	if got := b.String(); got != want {
		t.Errorf("Plain for %d events = %q, want %q", len(build), got, want)
	}
}

// TestLive replays events against a clock that moves one second per
// event: running rows count up, finished rows keep their time, and each
// drawing first moves up over the one before.
func TestLive(t *testing.T) {
	clock := time.Unix(0, 0)
	var b bytes.Buffer
	l := &Live{W: &b, Now: func() time.Time { return clock }}
	tests := []struct {
		event Event
		want  string
	}{
		{Event{Stage: "toolchain", Status: Running},
			"\r\x1b[2Ktoolchain           0.0 s  (running)\n"},
		{Event{Stage: "toolchain", Status: Cached, Took: sec(1)},
			"\x1b[1A\r\x1b[2Ktoolchain           1.0 s  (cached)\n"},
		{Event{Stage: "kernel build", Status: Running},
			"\x1b[1A\r\x1b[2Ktoolchain           1.0 s  (cached)\n\r\x1b[2Kkernel build        0.0 s  (running)\n"},
		{Event{}, // a tick: Redraw
			"\x1b[2A\r\x1b[2Ktoolchain           1.0 s  (cached)\n\r\x1b[2Kkernel build        1.0 s  (running)\n"},
		{Event{Stage: "kernel build", Status: Failed, Took: sec(2.5)},
			"\x1b[2A\r\x1b[2Ktoolchain           1.0 s  (cached)\n\r\x1b[2Kkernel build        2.5 s  (failed)\n"},
	}
	for i, tc := range tests {
		b.Reset()
		if tc.event.Stage == "" {
			l.Redraw()
		} else {
			l.Handle(tc.event)
		}
		if got := b.String(); got != tc.want {
			t.Errorf("step %d: Live after %+v drew %q, want %q", i, tc.event, got, tc.want)
		}
		clock = clock.Add(time.Second)
	}
}

func TestRan(t *testing.T) {
	tests := []struct {
		name string
		log  string
		step string
		want bool
	}{
		{"step output", "30  : [0.1s] | rambox-stage: kernel unpack\n", "kernel unpack", true},
		{"coloured", "\x1b[95m42  : \x1b[0m\x1b[90;2m┆ \x1b[0m\x1b[90m[0.2s] \x1b[0m\x1b[90m|\x1b[0m rambox-stage: kernel build\n", "kernel build", true},
		{"other step", "30  : [0.1s] | rambox-stage: kernel unpack\n", "kernel build", false},
		{"script text, not output", `11  : ┆ contents: "\techo \"rambox-stage: kernel build\"\n"` + "\n", "kernel build", false},
		{"line not ended yet", "30  : [0.1s] | rambox-stage: kernel unpack", "kernel unpack", false},
		{"cached step", "30  : Container.withExec CACHED [0.0s]\n", "kernel unpack", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRan("rambox-stage: ")
			// The log comes in pieces that split lines anywhere.
			for _, piece := range strings.SplitAfter(tc.log, " ") {
				r.Write([]byte(piece))
			}
			if got := r.Seen(tc.step); got != tc.want {
				t.Errorf("Ran(%q).Seen(%q) = %v, want %v", tc.log, tc.step, got, tc.want)
			}
		})
	}
}

func TestStage(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name   string
		status Status
		err    error
		want   []Status
	}{
		{"cached", Cached, nil, []Status{Running, Cached}},
		{"failed", Built, boom, []Status{Running, Failed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Status
			err := Stage(func(e Event) {
				if e.Stage != "busybox" {
					t.Errorf("event for stage %q, want busybox", e.Stage)
				}
				got = append(got, e.Status)
			}, "busybox", func() (Status, error) { return tc.status, tc.err })
			if !errors.Is(err, tc.err) {
				t.Errorf("Stage returned %v, want %v", err, tc.err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Stage reported %v, want %v", got, tc.want)
			}
		})
	}
}
