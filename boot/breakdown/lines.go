package breakdown

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"rambox/boot"
	"rambox/selftest"
)

// Line is one line of a serial log, escape codes stripped, with the host
// times (since QEMU's start) at which its first byte and its newline
// arrived. A firmware's line can take long: iPXE prints "Configuring
// (net0 ...)..." and writes "ok" at its end once DHCP is done.
type Line struct {
	Start, At time.Duration
	Text      string
}

// Split cuts a serial log into lines timed by the recorder's stamps
// (boot.Result.Stamps): a line is as old as the write that brought its
// last byte. Carriage returns end a line too, since firmware redraws
// progress in place ("... 42%\r... ok"); empty lines are dropped.
func Split(log []byte, stamps []boot.Stamp) []Line {
	// when is the arrival of byte offset off; si only moves forward.
	si := 0
	when := func(off int) time.Duration {
		for si < len(stamps)-1 && stamps[si].End <= off {
			si++
		}
		if len(stamps) == 0 {
			return 0
		}
		return stamps[si].At
	}
	// A printk stamp starts a line even where the firmware's last line had
	// no newline: iPXE's final "... ok" runs straight into the kernel's
	// "[    0.000000] Linux version".
	cuts := map[int]bool{}
	for _, m := range rawStamp.FindAllIndex(log, -1) {
		cuts[m[0]] = true
	}
	var lines []Line
	emit := func(from, to, last int) {
		if text := strings.TrimSpace(string(selftest.Clean(log[from:to]))); text != "" {
			first := when(from)
			lines = append(lines, Line{Start: first, At: when(max(last, from)), Text: text})
		}
	}
	start := 0
	for i := 0; i < len(log); i++ {
		switch {
		case log[i] == '\n' || log[i] == '\r':
			emit(start, i, i)
			start = i + 1
		case cuts[i] && i > start:
			emit(start, i, i-1) // the stamp begins the next line
			start = i
		}
	}
	if start < len(log) {
		emit(start, len(log), len(log)-1)
	}
	return lines
}

// rawStamp is a printk time in the raw log.
var rawStamp = regexp.MustCompile(`\[ *\d+\.\d{6}\] `)

// Format writes lines as the fixtures in testdata/ hold them: the host
// times of the line's start and end in milliseconds, three decimals, and
// the text, separated by spaces.
func Format(lines []Line) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		fmt.Fprintf(&b, "%.3f %.3f %s\n", ms(l.Start), ms(l.At), l.Text)
	}
	return b.Bytes()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Parse reads what Format wrote.
func Parse(data []byte) ([]Line, error) {
	var lines []Line
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		f := strings.SplitN(sc.Text(), " ", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: %q is not START_MS END_MS TEXT", n, sc.Text())
		}
		start, err1 := strconv.ParseFloat(f[0], 64)
		end, err2 := strconv.ParseFloat(f[1], 64)
		if err := errors.Join(err1, err2); err != nil || end < start {
			return nil, fmt.Errorf("line %d: %q does not start with two host times in ms, start <= end", n, sc.Text())
		}
		lines = append(lines, Line{Start: fromMS(start), At: fromMS(end), Text: f[2]})
	}
	return lines, sc.Err()
}

func fromMS(v float64) time.Duration { return time.Duration(math.Round(v * float64(time.Millisecond))) }
