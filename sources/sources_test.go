package sources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var payload = []byte(strings.Repeat("linux source bytes\n", 1000))

func pinFor(urls ...string) Pin {
	s := sha256.Sum256(payload)
	return Pin{Name: "linux", File: "linux.tar", SHA256: hex.EncodeToString(s[:]), URLs: urls}
}

// server serves payload at /good, a truncated copy at /short, other bytes
// at /wrong and 404 elsewhere, counting requests per path.
func server(t *testing.T) (*httptest.Server, map[string]int) {
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits[r.URL.Path]++
		switch r.URL.Path {
		case "/good":
			w.Write(payload)
		case "/short":
			w.Header().Set("Content-Length", "19000")
			w.Write(payload[:100]) // the connection closes early
		case "/wrong":
			w.Write([]byte("evil"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

func cacheFiles(t *testing.T, c Cache) []string {
	ents, _ := os.ReadDir(filepath.Join(c.Dir, "sources", "sha256"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestDownload(t *testing.T) {
	srv, _ := server(t)
	tests := []struct {
		name    string
		paths   []string
		wantErr []string // substrings; none means success
	}{
		{"good", []string{"/good"}, nil},
		{"404 then mirror", []string{"/missing", "/good"}, nil},
		{"wrong hash", []string{"/wrong"}, []string{"sha256 mismatch", "expected " + pinFor().SHA256, "got ", "/wrong"}},
		{"truncated", []string{"/short"}, []string{"/short", "unexpected EOF"}},
		{"all fail", []string{"/missing", "/wrong"}, []string{"404", "/missing", "/wrong"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Cache{Dir: t.TempDir()}
			var urls []string
			for _, p := range tc.paths {
				urls = append(urls, srv.URL+p)
			}
			pin := pinFor(urls...)
			p, err := c.Download(context.Background(), pin, srv.Client(), nil)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Download: %v", err)
				}
				if got, _ := os.ReadFile(p); string(got) != string(payload) {
					t.Error("cached bytes differ from the payload")
				}
				return
			}
			for _, w := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Download error = %v, want it to mention %q", err, w)
				}
			}
			if files := cacheFiles(t, c); len(files) != 0 {
				t.Errorf("cache holds %v after a failed download, want nothing", files)
			}
		})
	}
}

func TestCorruptEntryIsRefetched(t *testing.T) {
	srv, hits := server(t)
	c := Cache{Dir: t.TempDir()}
	pin := pinFor(srv.URL + "/good")
	if _, err := c.Download(context.Background(), pin, srv.Client(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Download(context.Background(), pin, srv.Client(), nil); err != nil || hits["/good"] != 1 {
		t.Fatalf("second Download: err %v, %d requests, want a cache hit", err, hits["/good"])
	}
	os.WriteFile(c.Path(pin.SHA256), []byte("bit rot"), 0o644)
	if _, err := c.Verified(pin); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("Verified(corrupt) = %v, want ErrDigestMismatch", err)
	}
	p, err := c.Download(context.Background(), pin, srv.Client(), nil)
	if err != nil || hits["/good"] != 2 {
		t.Fatalf("Download after corruption: err %v, %d requests, want a re-fetch", err, hits["/good"])
	}
	if got, _ := os.ReadFile(p); string(got) != string(payload) {
		t.Error("re-fetched entry has the wrong bytes")
	}
}

func TestMirrorFirst(t *testing.T) {
	srv, hits := server(t)
	c := Cache{Dir: t.TempDir()}
	pin := pinFor(srv.URL + "/upstream/linux.tar")
	pin.File = "good" // the mirror serves it as <mirror>/good
	if _, err := c.Download(context.Background(), pin, srv.Client(), []string{srv.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	if hits["/good"] != 1 || hits["/upstream/linux.tar"] != 0 {
		t.Errorf("requests %v, want the mirror only", hits)
	}
}

func TestImport(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	os.WriteFile(good, payload, 0o644)
	os.WriteFile(bad, payload[1:], 0o644)
	if _, err := c.Import(pinFor(), bad); !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), bad) {
		t.Errorf("Import(bad) = %v, want a mismatch naming %s", err, bad)
	}
	if _, err := c.Verified(pinFor()); !errors.Is(err, ErrNotCached) {
		t.Errorf("Verified after a refused import = %v, want ErrNotCached", err)
	}
	if _, err := c.Import(pinFor(), good); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Verified(pinFor()); err != nil {
		t.Errorf("Verified after import: %v", err)
	}
}

func TestPinValidate(t *testing.T) {
	err := Pin{SHA256: "ABC"}.Validate()
	for _, w := range []string{"name is empty", `sha256 "ABC"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want it to mention %q", err, w)
		}
	}
}

func TestParseOverride(t *testing.T) {
	hex64 := strings.Repeat("ab", 32)
	tests := []struct {
		in      string
		want    Override
		wantErr string
	}{
		{"linux=/usr/src/l.tar.xz@sha256:" + hex64, Override{"linux", "/usr/src/l.tar.xz", hex64}, ""},
		{"busybox=https://m.example/b.tar.bz2@sha256:" + hex64, Override{"busybox", "https://m.example/b.tar.bz2", hex64}, ""},
		{"linux=/x", Override{}, "no @sha256:HEX"},
		{"/x@sha256:" + hex64, Override{}, "want NAME=PATH|URL@sha256:HEX"},
		{"linux=/x@sha256:ABC", Override{}, `sha256 "ABC"`},
	}
	for _, tc := range tests {
		got, err := ParseOverride(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseOverride(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseOverride(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestFetchOverride(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	src := filepath.Join(t.TempDir(), "local.tar")
	os.WriteFile(src, payload, 0o644)
	pinned := Pin{Name: "linux", File: "linux.tar", SHA256: strings.Repeat("0", 64), URLs: []string{"http://127.0.0.1:1/never"}}
	o := Override{Name: "linux", Location: src, SHA256: pinFor().SHA256}
	pin, p, err := c.Fetch(context.Background(), pinned, []Override{o}, http.DefaultClient, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pin.SHA256 != o.SHA256 || len(pin.URLs) != 0 {
		t.Errorf("pin in force = %+v, want the override's digest and no URLs", pin)
	}
	if p != c.Path(o.SHA256) {
		t.Errorf("path = %s, want %s", p, c.Path(o.SHA256))
	}
	o.SHA256 = strings.Repeat("1", 64)
	if _, _, err := c.Fetch(context.Background(), pinned, []Override{o}, http.DefaultClient, nil); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("Fetch with a wrong override digest = %v, want ErrDigestMismatch", err)
	}
}
