// Command record appends one measurement to a bench results file (JSON
// lines, read by bench/internal/report). The bench scripts call it after
// every run, so every run's raw value is kept and medians are taken in
// one place.
//
//	record start FILE BENCH        new file: the meta line (date, cores, commit, load, $BENCH_NOTE)
//	record sample FILE -id ID -title TITLE -unit UNIT [-target T] [-stage S] -run N -value V [-compare C]
//	record note FILE TEXT...       a note for the report
//	record timings FILE -run N -id-prefix P -title T TIMINGS.json
//	                               one sample per stage of `rambox build|publish --timings`
//	                               ({stage} in the title becomes the stage name)
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"rambox/bench/internal/benchdata"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: record start|sample|note|timings FILE ...")
		os.Exit(2)
	}
	cmd, file, args := os.Args[1], os.Args[2], os.Args[3:]
	var err error
	switch cmd {
	case "start":
		err = start(file, args)
	case "sample":
		err = sample(file, args)
	case "note":
		err = note(file, args)
	case "timings":
		err = timings(file, args)
	default:
		err = fmt.Errorf("unknown command %q (start, sample, note, timings)", cmd)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "record %s %s: %v\n", cmd, file, err)
		os.Exit(1)
	}
}

// appendRecords adds records to an existing results file (start made it).
func appendRecords(file string, recs ...benchdata.Record) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("%w (record start makes the file)", err)
	}
	for _, r := range recs {
		if err := benchdata.Append(f, r); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func start(file string, args []string) error {
	if len(args) != 1 {
		return errors.New("want: record start FILE BENCH")
	}
	m := benchdata.Meta{
		Bench: args[0],
		Date:  time.Now().UTC().Format("2006-01-02"),
		Cores: runtime.NumCPU(),
		Arch:  runtime.GOARCH,
		Note:  os.Getenv("BENCH_NOTE"),
	}
	if out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		// The bench's own outputs do not make the measured code dirty.
		st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--", ".",
			":(exclude)bench/results", ":(exclude)bench/REPORT.md", ":(exclude)bench/build-stages.png", ":(exclude)bench/boot-phases.png").Output()
		m.Dirty = err != nil || len(st) > 0
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			m.Load, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := benchdata.Append(f, benchdata.Record{Meta: &m}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// number is a float flag that refuses an empty value, so a measurement a
// script failed to parse stops the bench instead of going missing.
type number struct {
	v   float64
	set bool
}

func (n *number) String() string { return strconv.FormatFloat(n.v, 'g', -1, 64) }
func (n *number) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	n.v, n.set = v, true
	return nil
}

func sample(file string, args []string) error {
	fs := flag.NewFlagSet("record sample", flag.ContinueOnError)
	var s benchdata.Sample
	var value, compare number
	fs.StringVar(&s.ID, "id", "", "measurement `id`")
	fs.StringVar(&s.Title, "title", "", "what the row measures")
	fs.StringVar(&s.Unit, "unit", "", "`unit` of value and compare")
	fs.StringVar(&s.Target, "target", "", "target, e.g. 'ratio <= 0.50' or '<= 3 s'")
	fs.StringVar(&s.Stage, "stage", "", "build `stage` this times (drawn in the chart)")
	fs.IntVar(&s.Run, "run", 0, "run `number`, from 1")
	fs.Var(&value, "value", "this run's value")
	fs.Var(&compare, "compare", "the other side's value, measured in the same run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if !value.set {
		return errors.New("no -value")
	}
	s.Value = value.v
	if compare.set {
		s.Compare = &compare.v
	}
	return appendRecords(file, benchdata.Record{Sample: &s})
}

func note(file string, args []string) error {
	text := strings.Join(args, " ")
	if strings.TrimSpace(text) == "" {
		return errors.New("empty note")
	}
	return appendRecords(file, benchdata.Record{Note: text})
}

// stageTimings is what `rambox build|publish --timings FILE` writes.
type stageTimings struct {
	Stages []struct {
		Name    string   `json:"name"`
		Seconds *float64 `json:"seconds"`
	} `json:"stages"`
}

func timings(file string, args []string) error {
	fs := flag.NewFlagSet("record timings", flag.ContinueOnError)
	run := fs.Int("run", 0, "run `number`, from 1")
	prefix := fs.String("id-prefix", "", "id `prefix`; the id is PREFIX.STAGE")
	title := fs.String("title", "", "row title; {stage} becomes the stage name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *prefix == "" || *title == "" {
		return errors.New("want: record timings FILE -run N -id-prefix P -title T TIMINGS.json")
	}
	recs, err := timingRecords(fs.Arg(0), *run, *prefix, *title)
	if err != nil {
		return err
	}
	return appendRecords(file, recs...)
}

func timingRecords(path string, run int, prefix, title string) ([]benchdata.Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t stageTimings
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(t.Stages) == 0 {
		return nil, fmt.Errorf("%s: no stages", path)
	}
	var recs []benchdata.Record
	var errs []error
	seen := map[string]bool{}
	for i, st := range t.Stages {
		switch {
		case st.Name == "":
			errs = append(errs, fmt.Errorf("%s: stage %d has no name", path, i))
			continue
		case seen[st.Name]:
			errs = append(errs, fmt.Errorf("%s: stage %q twice", path, st.Name))
			continue
		case st.Seconds == nil || math.IsNaN(*st.Seconds):
			errs = append(errs, fmt.Errorf("%s: stage %q has no seconds", path, st.Name))
			continue
		}
		seen[st.Name] = true
		recs = append(recs, benchdata.Record{Sample: &benchdata.Sample{
			ID:    prefix + "." + st.Name,
			Title: strings.ReplaceAll(title, "{stage}", st.Name),
			Unit:  "s",
			Stage: st.Name,
			Run:   run,
			Value: *st.Seconds,
		}})
	}
	for _, r := range recs {
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
		}
	}
	return recs, errors.Join(errs...)
}
