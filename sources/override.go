package sources

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"
)

// Override replaces a profile's pinned source with another archive and an
// explicit digest: the --source NAME=PATH|URL@sha256:HEX flag. The digest
// is still checked; only where the bytes come from changes.
type Override struct {
	Name     string
	Location string // a local path, or an http(s) URL
	SHA256   string
}

// ParseOverride parses NAME=PATH@sha256:HEX or NAME=URL@sha256:HEX.
func ParseOverride(s string) (Override, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return Override{}, fmt.Errorf("--source %q: want NAME=PATH|URL@sha256:HEX", s)
	}
	i := strings.LastIndex(rest, "@sha256:")
	if i < 0 {
		return Override{}, fmt.Errorf("--source %s: %q has no @sha256:HEX (an override must name its digest)", name, rest)
	}
	o := Override{Name: name, Location: rest[:i], SHA256: rest[i+len("@sha256:"):]}
	if o.Location == "" {
		return Override{}, fmt.Errorf("--source %s: empty path or URL", name)
	}
	if !hexDigest.MatchString(o.SHA256) {
		return Override{}, fmt.Errorf("--source %s: sha256 %q is not 64 lowercase hex digits", name, o.SHA256)
	}
	return o, nil
}

// IsURL reports whether the override points at a URL rather than a file.
func (o Override) IsURL() bool {
	return strings.HasPrefix(o.Location, "http://") || strings.HasPrefix(o.Location, "https://")
}

// Apply returns pin with the override's digest, origin and file name.
func (o Override) Apply(pin Pin) Pin {
	pin.SHA256 = o.SHA256
	pin.File = path.Base(o.Location)
	pin.URLs = nil
	if o.IsURL() {
		pin.URLs = []string{o.Location}
	}
	return pin
}

// ErrUnknownSource is returned for an override naming no pinned source.
var ErrUnknownSource = errors.New("unknown source")

// CheckOverrides refuses an override that names none of pins (a typo
// would otherwise build the pinned upstream source) or names one twice.
func CheckOverrides(overrides []Override, pins ...Pin) error {
	known := map[string]bool{}
	var names []string
	for _, p := range pins {
		known[p.Name] = true
		names = append(names, p.Name)
	}
	sort.Strings(names)
	var errs []error
	seen := map[string]bool{}
	for _, o := range overrides {
		switch {
		case !known[o.Name]:
			errs = append(errs, fmt.Errorf("--source %s: %w (known: %s)", o.Name, ErrUnknownSource, strings.Join(names, ", ")))
		case seen[o.Name]:
			errs = append(errs, fmt.Errorf("--source %s: given twice", o.Name))
		}
		seen[o.Name] = true
	}
	return errors.Join(errs...)
}

// Fetch makes the cache hold pin (as overridden, when an override names
// it) and returns the pin in force and the cached path. The pin returned
// is the one to record: its URLs carry no credentials (RedactURL), though
// the download used them.
func (c Cache) Fetch(ctx context.Context, pin Pin, overrides []Override, client *http.Client, mirrors []string) (Pin, string, error) {
	pin, p, err := c.fetch(ctx, pin, overrides, client, mirrors)
	pin.URLs = slices.Clone(pin.URLs)
	for i, u := range pin.URLs {
		pin.URLs[i] = RedactURL(u)
	}
	return pin, p, err
}

func (c Cache) fetch(ctx context.Context, pin Pin, overrides []Override, client *http.Client, mirrors []string) (Pin, string, error) {
	for _, o := range overrides {
		if o.Name != pin.Name {
			continue
		}
		pin = o.Apply(pin)
		if !o.IsURL() {
			if p, err := c.Verified(pin); err == nil {
				return pin, p, nil
			}
			p, err := c.Import(pin, o.Location)
			return pin, p, err
		}
		p, err := c.Download(ctx, pin, client, nil)
		return pin, p, err
	}
	p, err := c.Download(ctx, pin, client, mirrors)
	return pin, p, err
}
