// Package sources pins upstream source archives by sha256 and keeps them
// in a content-addressed cache (<cache>/sources/sha256/<hex>), so a build
// names its inputs by digest and never trusts a file it has not hashed.
package sources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"rambox/atomicfile"
)

// Pin names one source archive and the only bytes accepted for it.
type Pin struct {
	Name   string   `json:"name"`
	File   string   `json:"file"`
	SHA256 string   `json:"sha256"`
	URLs   []string `json:"urls"`
}

var hexDigest = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate reports every missing or malformed field.
func (p Pin) Validate() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if !hexDigest.MatchString(p.SHA256) {
		errs = append(errs, fmt.Errorf("sha256 %q is not 64 lowercase hex digits", p.SHA256))
	}
	return errors.Join(errs...)
}

// LoadPin reads a pin from a JSON file.
func LoadPin(path string) (Pin, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Pin{}, err
	}
	var p Pin
	if err := json.Unmarshal(b, &p); err != nil {
		return Pin{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return Pin{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ErrNotCached is returned when the cache has no entry for a digest.
var ErrNotCached = errors.New("not in the source cache")

// ErrDigestMismatch is returned when bytes do not hash to their pin.
var ErrDigestMismatch = errors.New("sha256 mismatch")

// Cache is a content-addressed store of source archives.
type Cache struct{ Dir string }

// DefaultCache is $RAMBOX_CACHE, or ~/.cache/rambox.
func DefaultCache() Cache {
	if d := os.Getenv("RAMBOX_CACHE"); d != "" {
		return Cache{Dir: d}
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return Cache{Dir: filepath.Join(d, "rambox")}
}

// Path is where the entry for digest lives, whether or not it exists.
func (c Cache) Path(digest string) string {
	return filepath.Join(c.Dir, "sources", "sha256", digest)
}

// Verified returns the path of the cached archive for pin after hashing it
// again: a cache entry is trusted only as far as its bytes match.
func (c Cache) Verified(pin Pin) (string, error) {
	p := c.Path(pin.SHA256)
	got, err := FileSHA256(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s (sha256:%s): %w at %s", pin.Name, pin.SHA256, ErrNotCached, p)
	}
	if err != nil {
		return "", err
	}
	if got != pin.SHA256 {
		return "", fmt.Errorf("%s: cache entry %s: %w: expected %s, got %s", pin.Name, p, ErrDigestMismatch, pin.SHA256, got)
	}
	return p, nil
}

// FileSHA256 hashes a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Import copies a local archive into the cache under pin's digest.
func (c Cache) Import(pin Pin, src string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("%s: %w", pin.Name, err)
	}
	defer in.Close()
	return c.store(pin, in, src)
}

// store copies r into the cache under pin's digest. The bytes are hashed
// while they are written to a temporary file, and only a match is renamed
// into place: a wrong or truncated file never enters the cache. from names
// where the bytes came from, for errors.
func (c Cache) store(pin Pin, r io.Reader, from string) (string, error) {
	dst := c.Path(pin.SHA256)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	err := atomicfile.Write(dst, 0o644, func(w io.Writer) error {
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, h), r); err != nil {
			return fmt.Errorf("%s: reading %s: %w", pin.Name, from, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != pin.SHA256 {
			return fmt.Errorf("%s from %s: %w: expected %s, got %s", pin.Name, from, ErrDigestMismatch, pin.SHA256, got)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return dst, nil
}

// Download returns the cached archive for pin, fetching it first when the
// cache has no good copy: from each mirror (base URL + "/" + pin.File) and
// then each of the pin's URLs, until one gives the pinned bytes. Every
// failure is reported, with where it came from.
func (c Cache) Download(ctx context.Context, pin Pin, client *http.Client, mirrors []string) (string, error) {
	if p, err := c.Verified(pin); err == nil {
		return p, nil
	}
	var urls []string
	for _, m := range mirrors {
		urls = append(urls, strings.TrimSuffix(m, "/")+"/"+pin.File)
	}
	urls = append(urls, pin.URLs...)
	if len(urls) == 0 {
		return "", fmt.Errorf("%s: not cached and no URLs to fetch it from", pin.Name)
	}
	var errs []error
	for _, url := range urls {
		p, err := c.download(ctx, pin, url, client)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

func (c Cache) download(ctx context.Context, pin Pin, url string, client *http.Client) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("%s: %w", pin.Name, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		// The client's error quotes the URL; not its credentials.
		var uerr *neturl.Error
		if errors.As(err, &uerr) {
			uerr.URL = RedactURL(uerr.URL)
		}
		return "", fmt.Errorf("%s: %w", pin.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s: %s", pin.Name, RedactURL(url), resp.Status)
	}
	return c.store(pin, resp.Body, RedactURL(url))
}
