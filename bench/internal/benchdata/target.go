package benchdata

import (
	"fmt"
	"regexp"
	"strconv"
)

// Target is a goal for a row: its median (in Unit) or, for Ratio, its
// ratio to the comparison, compared with Limit by Op.
type Target struct {
	Ratio bool
	Op    string // "<=", "<", ">=", ">"
	Limit float64
	Unit  string // "" for a ratio
}

var targetRE = regexp.MustCompile(`^\s*(ratio\s*)?(<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([A-Za-z]+(?:/s)?)?\s*$`)

// ParseTarget reads "ratio <= 0.50", "<= 3 s", "<= 1000 ms", "<= 1.6 MB",
// ">= 100 MB/s".
// A ratio has no unit; a value target must name one.
func ParseTarget(s string) (Target, error) {
	m := targetRE.FindStringSubmatch(s)
	if m == nil {
		return Target{}, fmt.Errorf("target %q: want [ratio] <=|<|>=|> NUMBER [UNIT]", s)
	}
	limit, err := strconv.ParseFloat(m[3], 64)
	if err != nil {
		return Target{}, fmt.Errorf("target %q: %w", s, err)
	}
	t := Target{Ratio: m[1] != "", Op: m[2], Limit: limit, Unit: m[4]}
	switch {
	case t.Ratio && t.Unit != "":
		return Target{}, fmt.Errorf("target %q: a ratio has no unit", s)
	case !t.Ratio && t.Unit == "":
		return Target{}, fmt.Errorf("target %q: no unit (one of %s), or say ratio", s, unitNames())
	case !t.Ratio:
		if _, ok := units[t.Unit]; !ok {
			return Target{}, fmt.Errorf("target %q: unit %q is not one of %s", s, t.Unit, unitNames())
		}
	}
	return t, nil
}

// String is the target as the report shows it.
func (t Target) String() string {
	s := t.Op + " " + strconv.FormatFloat(t.Limit, 'f', -1, 64)
	if t.Ratio {
		if t.Limit < 10 {
			s = t.Op + " " + strconv.FormatFloat(t.Limit, 'f', 2, 64)
		}
		return "ratio " + s
	}
	return s + " " + t.Unit
}

// Met says whether v holds the target: v is a ratio for a ratio target
// (unit ""), else a value in unit, converted to the target's unit.
func (t Target) Met(v float64, unit string) (bool, error) {
	if t.Ratio != (unit == "") {
		return false, fmt.Errorf("target %s: got a value in %q", t, unit)
	}
	if !t.Ratio {
		var err error
		if v, err = convert(v, unit, t.Unit); err != nil {
			return false, fmt.Errorf("target %s: %w", t, err)
		}
	}
	switch t.Op {
	case "<=":
		return v <= t.Limit, nil
	case "<":
		return v < t.Limit, nil
	case ">=":
		return v >= t.Limit, nil
	case ">":
		return v > t.Limit, nil
	}
	return false, fmt.Errorf("target: unknown operator %q", t.Op)
}
