package httpboot_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"rambox/bundle"
	"rambox/serve/bootfs"
	"rambox/serve/bootfs/bootfstest"
	"rambox/serve/httpboot"
	"rambox/tftproot"
)

func etag(b []byte) string {
	s := sha256.Sum256(b)
	return `"` + hex.EncodeToString(s[:]) + `"`
}

func do(h http.Handler, method, target string, header ...string) *http.Response {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(r *http.Response) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

func TestGetHead(t *testing.T) {
	var cur bootfs.Current
	v := bootfstest.New(t, "kernel A", false)
	cur.Store(v)
	h := httpboot.Handler(&cur)
	kernel := bootfs.BundlePath(v.Digests()[0].Encoded(), bundle.Kernel)
	kb, _ := fs.ReadFile(v.FS(), kernel)
	script, _ := fs.ReadFile(v.FS(), "ipxe/"+bootfstest.MAC1+".ipxe")
	cfg, _ := fs.ReadFile(v.FS(), "pxelinux.cfg/C0A818CB")
	for _, tc := range []struct {
		method, path string
		want         []byte
		ctype        string
	}{
		{"GET", "/" + kernel, kb, "application/octet-stream"},
		{"HEAD", "/" + kernel, nil, "application/octet-stream"},
		{"GET", "/ipxe/" + bootfstest.MAC1 + ".ipxe", script, "text/plain; charset=utf-8"},
		{"GET", "/ipxe/" + strings.ToUpper(bootfstest.MAC1) + ".ipxe", script, "text/plain; charset=utf-8"},
		{"GET", "/pxelinux.cfg/C0A818CB", cfg, "text/plain; charset=utf-8"},
		{"GET", "/" + tftproot.IPXEEFIFile, []byte("loader ipxe.efi"), "application/octet-stream"},
	} {
		r := do(h, tc.method, tc.path)
		full := tc.want
		if tc.method == "HEAD" {
			full = kb
		}
		if got := body(r); r.StatusCode != 200 || got != string(tc.want) || r.Header.Get("ETag") != etag(full) || r.Header.Get("Content-Type") != tc.ctype || r.ContentLength != int64(len(full)) {
			t.Errorf("%s %s = %d, %q, ETag %s, Content-Type %q, length %d; want 200, %q, ETag %s, %q, %d", tc.method, tc.path, r.StatusCode, got, r.Header.Get("ETag"), r.Header.Get("Content-Type"), r.ContentLength, tc.want, etag(full), tc.ctype, len(full))
		}
		if lm := r.Header.Get("Last-Modified"); lm != "" {
			t.Errorf("%s %s: Last-Modified %q, want none (the ETag is the validator)", tc.method, tc.path, lm)
		}
	}
}

func TestRangeAndConditional(t *testing.T) {
	var cur bootfs.Current
	v := bootfstest.New(t, "0123456789abcdef", false)
	cur.Store(v)
	h := httpboot.Handler(&cur)
	kernel := "/" + bootfs.BundlePath(v.Digests()[0].Encoded(), bundle.Kernel)
	tag := etag([]byte("0123456789abcdef"))
	for _, tc := range []struct {
		header []string
		status int
		body   string
	}{
		{[]string{"Range", "bytes=4-7"}, 206, "4567"},
		{[]string{"Range", "bytes=-3"}, 206, "def"},
		{[]string{"Range", "bytes=100-"}, 416, ""},
		{[]string{"If-None-Match", tag}, 304, ""},
		{[]string{"If-None-Match", `"other"`}, 200, "0123456789abcdef"},
		{[]string{"If-Range", tag, "Range", "bytes=0-1"}, 206, "01"},
		{[]string{"If-Range", `"other"`, "Range", "bytes=0-1"}, 200, "0123456789abcdef"},
	} {
		r := do(h, "GET", kernel, tc.header...)
		got := body(r)
		if tc.status == 416 {
			got = ""
		}
		if r.StatusCode != tc.status || got != tc.body {
			t.Errorf("GET %s %q = %d, %q, want %d, %q", kernel, tc.header, r.StatusCode, got, tc.status, tc.body)
		}
	}
}

func TestRefused(t *testing.T) {
	var cur bootfs.Current
	strict := bootfstest.New(t, "kernel A", false)
	cur.Store(strict)
	h := httpboot.Handler(&cur)
	hx := strict.Digests()[0].Encoded()
	for _, tc := range []struct {
		method, path string
		status       int
		says         string // in the body
	}{
		{"POST", "/pxelinux.0", 405, "POST"},
		{"PUT", "/pxelinux.0", 405, "PUT"},
		{"DELETE", "/pxelinux.0", 405, "DELETE"},
		{"GET", "/", 404, ""},
		{"GET", "/bundles/", 404, ""},
		{"GET", "/bundles/" + hx, 404, ""},
		{"GET", "/bundles/" + hx + "/", 404, ""},
		{"GET", "/ipxe/", 404, ""},
		{"GET", "/etc/passwd", 404, ""},
		{"GET", "/bundles/" + hx + "/../" + hx + "/bzImage", 404, ""},
		{"GET", "//pxelinux.0", 404, ""},
		{"GET", "/ipxe/02:00:00:00:00:99.ipxe", 404, "02:00:00:00:00:99"},
		{"GET", "/ipxe/default.ipxe", 404, ""},
		{"GET", "/ipxe/nonsense.ipxe", 404, ""},
	} {
		r := do(h, tc.method, tc.path)
		if got := body(r); r.StatusCode != tc.status || !strings.Contains(got, tc.says) {
			t.Errorf("%s %s = %d, %q, want %d saying %q", tc.method, tc.path, r.StatusCode, got, tc.status, tc.says)
		}
		if tc.status == 405 && r.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, r.Header.Get("Allow"), "GET, HEAD")
		}
	}
	// Unknown clients allowed: a stranger gets the default script.
	open := bootfstest.New(t, "kernel A", true)
	cur.Store(open)
	want, _ := fs.ReadFile(open.FS(), bootfs.DefaultScript)
	if r := do(h, "GET", "/ipxe/02:00:00:00:00:99.ipxe"); r.StatusCode != 200 || body(r) != string(want) {
		t.Errorf("GET an unknown MAC's script with unknown clients allowed = %d, want 200, %q", r.StatusCode, want)
	}
	if r := do(httpboot.Handler(&bootfs.Current{}), "GET", "/pxelinux.0"); r.StatusCode != 503 {
		t.Errorf("GET with no View = %d, want 503", r.StatusCode)
	}
}

// TestSwitch: responses while Current switches between two Views are
// each entirely one View's: the body, and the ETag naming it.
func TestSwitch(t *testing.T) {
	var cur bootfs.Current
	a := bootfstest.New(t, strings.Repeat("kernel A ", 50000), false)
	b := bootfstest.New(t, strings.Repeat("kernel B ", 50000), false)
	cur.Store(a)
	srv := httptest.NewServer(httpboot.Handler(&cur))
	defer srv.Close()
	path := "/ipxe/" + bootfstest.MAC1 + ".ipxe"
	wantA, _ := fs.ReadFile(a.FS(), path[1:])
	wantB, _ := fs.ReadFile(b.FS(), path[1:])
	kernelA := "/" + bootfs.BundlePath(a.Digests()[0].Encoded(), bundle.Kernel)
	ka, _ := fs.ReadFile(a.FS(), kernelA[1:])
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				cur.Store([]*bootfs.View{a, b}[i%4/2])
			}
			p := path
			if i%3 == 0 {
				p = kernelA
			}
			r, err := srv.Client().Get(srv.URL + p)
			if err != nil {
				t.Error(err)
				return
			}
			defer r.Body.Close()
			got, _ := io.ReadAll(r.Body)
			switch {
			case p == kernelA && r.StatusCode == 404: // b was current: a's kernel is not in it
			case p == kernelA:
				if !bytes.Equal(got, ka) || r.Header.Get("ETag") != etag(ka) {
					t.Errorf("GET %s during switches = %d bytes, ETag %s, want a's %d bytes", p, len(got), r.Header.Get("ETag"), len(ka))
				}
			case !bytes.Equal(got, wantA) && !bytes.Equal(got, wantB), r.Header.Get("ETag") != etag(got):
				t.Errorf("GET %s during switches = %q, ETag %s, want one View's script with its ETag", p, got, r.Header.Get("ETag"))
			}
		}()
	}
	wg.Wait()
}
