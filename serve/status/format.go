package status

import (
	"fmt"
	"strings"
	"time"
)

// shortLen is how many hex digits of a digest are shown (like `docker
// images`); the full digest is in the page's title attribute and the API.
const shortLen = 12

// Short shortens "sha256:<64 hex>" to "sha256:<12 hex>"; other strings
// longer than that are cut the same way, "" stays "".
func Short(digest string) string {
	alg, hex, ok := strings.Cut(digest, ":")
	if !ok {
		alg, hex = "", digest
	}
	if len(hex) > shortLen {
		hex = hex[:shortLen]
	}
	if !ok {
		return hex
	}
	return alg + ":" + hex
}

// Ago formats t relative to now ("12s ago"), "-" for the zero time.
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		return "in " + (-d).String()
	}
	return d.String() + " ago"
}

// BootTime formats a boot time to 0.1 s, "-" when unknown.
func BootTime(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// dash shows "" as "-" so empty table cells stay visible.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
