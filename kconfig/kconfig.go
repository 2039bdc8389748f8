// Package kconfig checks that a kernel .config honours a config fragment:
// every `CONFIG_X=v` and `# CONFIG_X is not set` line of the fragment must
// hold in the final configuration, since Kconfig silently drops an option
// whose dependencies are off.
package kconfig

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// NotSet is the value of an option the file states as `# CONFIG_X is not set`.
const NotSet = "n"

// Option is one requested setting.
type Option struct {
	Line   int
	Symbol string // without the CONFIG_ prefix
	Value  string // "y", "m", NotSet, or a literal such as "\"-rambox\"" or "4"
}

func (o Option) String() string {
	if o.Value == NotSet {
		return "# CONFIG_" + o.Symbol + " is not set"
	}
	return "CONFIG_" + o.Symbol + "=" + o.Value
}

var (
	setLine    = regexp.MustCompile(`^CONFIG_([A-Za-z0-9_]+)=(.*)$`)
	notSetLine = regexp.MustCompile(`^# CONFIG_([A-Za-z0-9_]+) is not set$`)
)

// ParseFragment reads a fragment. Blank lines and other comments (lines
// starting with "#" that are not "is not set" lines) are skipped; any other
// line is an error naming file and line.
func ParseFragment(r io.Reader, file string) ([]Option, error) {
	var (
		opts []Option
		errs []error
		seen = map[string]int{}
	)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		var o Option
		if m := setLine.FindStringSubmatch(line); m != nil {
			o = Option{n, m[1], m[2]}
		} else if m := notSetLine.FindStringSubmatch(line); m != nil {
			o = Option{n, m[1], NotSet}
		} else if line == "" || strings.HasPrefix(line, "#") {
			continue
		} else {
			errs = append(errs, fmt.Errorf("%s:%d: %q is neither CONFIG_X=value nor '# CONFIG_X is not set'", file, n, line))
			continue
		}
		if prev, dup := seen[o.Symbol]; dup {
			errs = append(errs, fmt.Errorf("%s:%d: CONFIG_%s is already set on line %d", file, n, o.Symbol, prev))
			continue
		}
		seen[o.Symbol] = n
		opts = append(opts, o)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return opts, errors.Join(errs...)
}

// Config is a parsed .config: symbol -> value; an option stated as not set
// maps to NotSet, an option the file does not mention is absent.
type Config map[string]string

// ParseConfig reads a .config.
func ParseConfig(r io.Reader) (Config, error) {
	c := Config{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := setLine.FindStringSubmatch(line); m != nil {
			c[m[1]] = m[2]
		} else if m := notSetLine.FindStringSubmatch(line); m != nil {
			c[m[1]] = NotSet
		}
	}
	return c, sc.Err()
}

// Value returns the effective value of a symbol: absent counts as not set,
// which is what Kconfig means by it.
func (c Config) Value(symbol string) string {
	if v, ok := c[symbol]; ok {
		return v
	}
	return NotSet
}

// ErrDropped is wrapped by Check's error for each option that did not hold.
var ErrDropped = errors.New("kernel config option did not hold")

// Dropped is a requested option and what the final config has instead.
type Dropped struct {
	Option
	Got string
	// Unmet lists dependency symbols that are off in the final config, when
	// the option's Kconfig entry was available to Explain.
	Unmet []string
}

func (d Dropped) Error() string {
	got := "CONFIG_" + d.Symbol + " not set"
	if d.Got != NotSet {
		got = "CONFIG_" + d.Symbol + "=" + d.Got
	}
	msg := fmt.Sprintf("line %d: %s: final .config has %s", d.Line, d.Option, got)
	if len(d.Unmet) > 0 {
		msg += " (unmet dependency: " + strings.Join(d.Unmet, ", ") + " is off)"
	}
	return msg
}

func (d Dropped) Unwrap() error { return ErrDropped }

// Check returns every fragment option that does not hold in cfg.
func Check(frag []Option, cfg Config) []Dropped {
	var out []Dropped
	for _, o := range frag {
		if got := cfg.Value(o.Symbol); got != o.Value {
			out = append(out, Dropped{Option: o, Got: got})
		}
	}
	return out
}

var (
	entryLine   = regexp.MustCompile(`^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$`)
	dependsLine = regexp.MustCompile(`^\s*depends\s+on\s+(.*)$`)
	symbolRef   = regexp.MustCompile(`\b[A-Z][A-Z0-9_]*\b`)
	blockEnd    = regexp.MustCompile(`^\s*(choice|endchoice|menu|endmenu|if|endif|source|comment)\b`)
)

// Explain fills in Unmet for a dropped option from the text of the Kconfig
// files that define its symbol: every symbol named in the entry's
// "depends on" lines that is off in cfg. It sees direct dependencies only;
// an enclosing `if` or `menu` block is not followed.
func Explain(d *Dropped, kconfigText string, cfg Config) {
	seen := map[string]bool{}
	in := false
	for _, line := range strings.Split(kconfigText, "\n") {
		if m := entryLine.FindStringSubmatch(line); m != nil {
			in = m[1] == d.Symbol
			continue
		}
		if blockEnd.MatchString(line) {
			in = false
			continue
		}
		// Help text runs to the next entry; its words are not Kconfig.
		if t := strings.TrimSpace(line); t == "help" || t == "---help---" {
			in = false
			continue
		}
		m := dependsLine.FindStringSubmatch(line)
		if !in || m == nil {
			continue
		}
		for _, s := range symbolRef.FindAllString(m[1], -1) {
			if cfg.Value(s) == NotSet && !seen[s] {
				seen[s] = true
				d.Unmet = append(d.Unmet, "CONFIG_"+s)
			}
		}
	}
	sort.Strings(d.Unmet)
}
