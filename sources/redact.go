package sources

import "strings"

// RedactURL is u with its userinfo (user:password@, or a bare token@)
// removed, for every place a URL is recorded or shown: bundle.json, the
// SBOM, provenance, annotations, errors. Downloads may still use the
// credentials; only records drop them. It works on the text, not a parsed
// URL, so the rest stays byte for byte as given, and a URL too malformed
// to parse is redacted too. Strings without "scheme://" (local paths, the
// scp-like git@host:repo form, which names a user but no secret) are
// returned as they are.
func RedactURL(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	rest := u[i+len("://"):]
	authority := rest
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		authority = rest[:j]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return u
	}
	return u[:i+len("://")] + rest[at+1:]
}
