// Package benchdata is the one place where benchmark figures are turned
// into numbers: the bench scripts record every run's raw value as JSON
// lines (one results file per benchmark), and this package reads them,
// takes medians and ratios, checks targets and renders bench/REPORT.md.
package benchdata

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Record is one line of a results file; exactly one field is set.
type Record struct {
	Meta   *Meta   `json:"meta,omitempty"`
	Sample *Sample `json:"sample,omitempty"`
	Note   string  `json:"note,omitempty"`
}

// Meta describes the run a results file comes from. It is the file's
// first line.
type Meta struct {
	Bench  string  `json:"bench"`
	Date   string  `json:"date"` // UTC, YYYY-MM-DD
	Cores  int     `json:"cores"`
	Arch   string  `json:"arch,omitempty"`
	Commit string  `json:"commit,omitempty"`
	Dirty  bool    `json:"dirty,omitempty"` // the working tree had uncommitted changes
	Load   float64 `json:"load"`            // 1-minute load average when the bench started
	Note   string  `json:"note,omitempty"`  // $BENCH_NOTE, e.g. "shared machine"
}

// Sample is one run's value of one measurement. Samples with the same ID
// form a row of the report. Compare, when set, is the value of the other
// side measured in the same run, back to back with Value.
type Sample struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Unit    string   `json:"unit"`
	Target  string   `json:"target,omitempty"` // see ParseTarget
	Stage   string   `json:"stage,omitempty"`  // a build stage drawn in the chart
	Run     int      `json:"run"`              // 1-based
	Value   float64  `json:"value"`
	Compare *float64 `json:"compare,omitempty"`
}

// Validate reports every problem of the sample.
func (s Sample) Validate() error {
	var errs []error
	if s.ID == "" {
		errs = append(errs, errors.New("no id"))
	}
	if s.Title == "" {
		errs = append(errs, errors.New("no title"))
	}
	if _, ok := units[s.Unit]; !ok {
		errs = append(errs, fmt.Errorf("unit %q is not one of %s", s.Unit, unitNames()))
	}
	if s.Run < 1 {
		errs = append(errs, fmt.Errorf("run %d: runs count from 1", s.Run))
	}
	if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) || s.Value < 0 {
		errs = append(errs, fmt.Errorf("value %v is not a non-negative number", s.Value))
	}
	if s.Compare != nil && (math.IsNaN(*s.Compare) || math.IsInf(*s.Compare, 0) || *s.Compare <= 0) {
		errs = append(errs, fmt.Errorf("comparison value %v is not a positive number", *s.Compare))
	}
	if s.Target != "" {
		t, err := ParseTarget(s.Target)
		switch {
		case err != nil:
			errs = append(errs, err)
		case t.Ratio && s.Compare == nil:
			errs = append(errs, fmt.Errorf("target %q is on a ratio, but the sample has no comparison value", s.Target))
		case !t.Ratio:
			if _, err := convert(1, s.Unit, t.Unit); err != nil {
				errs = append(errs, fmt.Errorf("target %q: %w", s.Target, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sample %q run %d: %w", s.ID, s.Run, err)
	}
	return nil
}

// Validate reports every problem of the meta line.
func (m Meta) Validate() error {
	var errs []error
	if m.Bench == "" {
		errs = append(errs, errors.New("meta: no bench name"))
	}
	if m.Date == "" {
		errs = append(errs, errors.New("meta: no date"))
	}
	if m.Cores < 1 {
		errs = append(errs, fmt.Errorf("meta: cores %d", m.Cores))
	}
	return errors.Join(errs...)
}

// Validate checks that exactly one field is set and that it is valid.
func (r Record) Validate() error {
	n := 0
	if r.Meta != nil {
		n++
	}
	if r.Sample != nil {
		n++
	}
	if r.Note != "" {
		n++
	}
	switch {
	case n != 1:
		return fmt.Errorf("a record holds exactly one of meta, sample, note; this one holds %d", n)
	case r.Meta != nil:
		return r.Meta.Validate()
	case r.Sample != nil:
		return r.Sample.Validate()
	}
	return nil
}

// Append writes rec as one JSON line, after validating it.
func Append(w io.Writer, rec Record) error {
	if err := rec.Validate(); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<= 3 s" readable
	if err := enc.Encode(rec); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// File is a parsed results file: one benchmark's run.
type File struct {
	Name    string
	Meta    Meta
	Samples []Sample
	Notes   []string
}

// Read parses a results file. The first record must be the meta line;
// every line is validated, and errors name the file and line.
func Read(r io.Reader, name string) (*File, error) {
	f := &File{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line, seenMeta := 0, false
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec Record
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if err := rec.Validate(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		switch {
		case rec.Meta != nil:
			if seenMeta {
				return nil, fmt.Errorf("%s:%d: a second meta line", name, line)
			}
			f.Meta, seenMeta = *rec.Meta, true
		case !seenMeta:
			return nil, fmt.Errorf("%s:%d: the first record must be the meta line", name, line)
		case rec.Sample != nil:
			f.Samples = append(f.Samples, *rec.Sample)
		default:
			f.Notes = append(f.Notes, rec.Note)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !seenMeta {
		return nil, fmt.Errorf("%s: no meta line (an empty results file?)", name)
	}
	return f, nil
}

// ReadFile reads the results file at path.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return Read(fh, path)
}
