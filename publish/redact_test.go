package publish

import "testing"

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://user:TOKEN@example.org/r.git", "https://example.org/r.git"},
		{"https://TOKEN@example.org/r.git", "https://example.org/r.git"},
		{"https://example.org/r.git", "https://example.org/r.git"},
		{"git@example.org:org/r.git", "git@example.org:org/r.git"},
		{"https://u:TOKEN@exa mple.org/%zz", ""},
		{"", ""},
	} {
		if got := redactURL(tc.in); got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
