package report

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rambox/serve/records"
)

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func form() url.Values {
	return url.Values{
		"mac": {"52:54:00:12:34:56"}, "ip": {"10.0.2.15"}, "digest": {digestA},
		"result": {"PASS"}, "uptime_init_ms": {"812"}, "uptime_done_ms": {"2950"},
		"mem_used_kb": {"10240"}, "ping": {"ok"},
	}
}

func server(t *testing.T) (*httptest.Server, *records.Store, *[]records.Node) {
	t.Helper()
	s, err := records.Open(filepath.Join(t.TempDir(), "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var got []records.Node
	names := func(mac net.HardwareAddr) string {
		if mac.String() == "52:54:00:12:34:56" {
			return "node1"
		}
		return ""
	}
	mux := http.NewServeMux()
	mux.Handle(Path, Handler(s, names, func(n records.Node) { got = append(got, n) }))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, s, &got
}

func post(t *testing.T, u, contentType, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHandlerRecords(t *testing.T) {
	srv, s, got := server(t)
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	if err := s.Given(mac, "", digestA, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	code, body := post(t, srv.URL+Path, "application/x-www-form-urlencoded", form().Encode())
	if code != http.StatusOK || body != "recorded\n" {
		t.Fatalf("POST report = %d %q, want 200 recorded", code, body)
	}
	if len(*got) != 1 || (*got)[0].Name != "node1" || (*got)[0].LastReport == nil || (*got)[0].LastReport.Remote != "127.0.0.1" {
		t.Errorf("onReport got %+v", *got)
	}
	n, ok, err := s.Node(mac)
	if err != nil || !ok || n.LastReport == nil || n.LastReport.MemUsedKB != 10240 || n.Flag != "" {
		t.Errorf("stored node = %+v, %v, %v", n, ok, err)
	}

	// A digest it was not given: recorded, flagged, said so.
	f := form()
	f.Set("digest", "sha256:"+strings.Repeat("b", 64))
	code, body = post(t, srv.URL+Path, "application/x-www-form-urlencoded", f.Encode())
	if code != http.StatusOK || !strings.Contains(body, "flagged: reported sha256:bbbb") {
		t.Errorf("POST other digest = %d %q, want 200 flagged", code, body)
	}
}

func TestHandlerRefuses(t *testing.T) {
	srv, _, got := server(t)
	bad := form()
	bad.Set("result", "MAYBE")
	for _, tc := range []struct {
		name, method, contentType, body string
		code                            int
		want                            string
	}{
		{"GET", http.MethodGet, "", "", http.StatusMethodNotAllowed, "POST"},
		{"PUT", http.MethodPut, "application/x-www-form-urlencoded", form().Encode(), http.StatusMethodNotAllowed, "POST"},
		{"bad field", http.MethodPost, "application/x-www-form-urlencoded", bad.Encode(), http.StatusBadRequest, "field result"},
		{"no fields", http.MethodPost, "application/x-www-form-urlencoded", "", http.StatusBadRequest, "field mac: missing"},
		{"json", http.MethodPost, "application/json", `{"mac":"x"}`, http.StatusUnsupportedMediaType, "Content-Type"},
		{"huge", http.MethodPost, "application/x-www-form-urlencoded", form().Encode() + "&pad=" + strings.Repeat("x", MaxBody), http.StatusRequestEntityTooLarge, "too large"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+Path, strings.NewReader(tc.body))
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %s %s = %d %q, want %d containing %q", tc.name, tc.method, Path, resp.StatusCode, b, tc.code, tc.want)
		}
	}
	if len(*got) != 0 {
		t.Errorf("onReport called for refused reports: %+v", *got)
	}
}
