package rootfs_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// postReportFunc is /init's post_report() function, cut out of the file.
func postReportFunc(t *testing.T) string {
	b, err := os.ReadFile(initFile())
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\npost_report() {")
	if i < 0 {
		t.Fatalf("%s: no post_report(); update the test", initFile())
	}
	j := strings.Index(s[i:], "\n}\n")
	if j < 0 {
		t.Fatalf("%s: post_report() has no end", initFile())
	}
	return s[i : i+j+3]
}

// runPost runs post_report under busybox sh, with busybox's wget and
// sleep and timeout first on PATH, and the variables the selftest sets.
func runPost(t *testing.T, reportURL string) string {
	bb := busybox(t)
	bin := t.TempDir()
	for _, applet := range []string{"wget", "sleep", "timeout"} {
		if err := os.Symlink(bb, filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
	vars := `mac=52:54:00:12:34:56 ip=10.0.2.15 bundle=sha256:` + strings.Repeat("ab", 32) +
		` result=PASS t0=812 done_ms=2950 mem_used=10240 ping_result=ok report='` + reportURL + `'`
	cmd := exec.Command(bb, "sh", "-c", postReportFunc(t)+"\n"+vars+"\npost_report")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("post_report: %v\n%s", err, out)
	}
	return string(out)
}

// TestPostReport: the form busybox wget posts is the one serve's
// records.ParseReport reads, and a failing server is tried again.
func TestPostReport(t *testing.T) {
	var (
		mu    sync.Mutex
		posts []url.Values
		types []string
		fails = 1 // the first try gets a 503
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/report" {
			http.Error(w, "wrong request "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
			return
		}
		if fails > 0 {
			fails--
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		f, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		posts = append(posts, f)
		types = append(types, r.Header.Get("Content-Type"))
	}))
	defer srv.Close()

	if out := runPost(t, srv.URL+"/api/v1/report"); !strings.Contains(out, "RAMBOX-REPORT posted") {
		t.Errorf("post_report printed %q, want RAMBOX-REPORT posted", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 1 {
		t.Fatalf("server got %d reports, want 1 (after one 503)", len(posts))
	}
	want := url.Values{
		"mac": {"52:54:00:12:34:56"}, "ip": {"10.0.2.15"}, "digest": {"sha256:" + strings.Repeat("ab", 32)},
		"result": {"PASS"}, "uptime_init_ms": {"812"}, "uptime_done_ms": {"2950"},
		"mem_used_kb": {"10240"}, "ping": {"ok"},
	}
	if got := posts[0].Encode(); got != want.Encode() {
		t.Errorf("posted form = %s, want %s", got, want.Encode())
	}
	if types[0] != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", types[0])
	}
}

// TestPostReportNoServer: with nothing listening the box gives up after
// its tries and says so.
func TestPostReportNoServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + "/api/v1/report"
	srv.Close() // nothing listens there now
	if out := runPost(t, u); !strings.Contains(out, "RAMBOX-REPORT failed") {
		t.Errorf("post_report printed %q, want RAMBOX-REPORT failed", out)
	}
}

// TestPostReportStuckServer: a server that accepts and never answers
// costs the boot three bounded tries, not forever. About 17 s, so it
// runs with the end-to-end tests.
func TestPostReportStuckServer(t *testing.T) {
	if os.Getenv("RAMBOX_E2E") != "1" {
		t.Skip("slow (17 s): set RAMBOX_E2E=1 (just test does)")
	}
	hang := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-hang }))
	defer stuck.Close()
	defer close(hang)
	start := time.Now()
	if out := runPost(t, stuck.URL+"/api/v1/report"); !strings.Contains(out, "RAMBOX-REPORT failed") {
		t.Errorf("post_report to a stuck server printed %q, want RAMBOX-REPORT failed", out)
	}
	if d := time.Since(start); d > 25*time.Second {
		t.Errorf("post_report to a stuck server took %v, want it bounded (3 tries of 5 s)", d)
	}
}
