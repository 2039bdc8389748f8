package status

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestShort(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{dA, "sha256:aaaaaaaaaaaa"},
		{"sha256:abc", "sha256:abc"},
		{"0123456789abcdef", "0123456789ab"},
	} {
		if got := Short(c.in); got != c.want {
			t.Errorf("Short(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAgo(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "-"},
		{t0.Add(-12400 * time.Millisecond), "12s ago"},
		{t0.Add(-90 * time.Second), "1m30s ago"},
		{t0.Add(3 * time.Second), "in 3s"},
	} {
		if got := Ago(c.t, t0); got != c.want {
			t.Errorf("Ago(%q) = %q, want %q", c.t, got, c.want)
		}
	}
}

// TestJSONShape pins the API's field names: `rambox status`, scripts and
// the e2e tests read them.
func TestJSONShape(t *testing.T) {
	b, err := json.Marshal(fixture())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	node := m["nodes"].([]any)[0].(map[string]any)
	group := m["groups"].([]any)[1].(map[string]any)
	empty := m["nodes"].([]any)[1].(map[string]any)
	for _, c := range []struct {
		name string
		got  any
		want any
	}{
		{"server", m["server"], "10.0.0.1"},
		{"generated", m["generated"], "2026-12-04T20:00:00Z"},
		{"nodes[0].name", node["name"], "pxe01"},
		{"nodes[0].mac", node["mac"], "52:54:00:00:00:01"},
		{"nodes[0].given", node["given"], dA},
		{"nodes[0].booted", node["booted"], dA},
		{"nodes[0].result", node["result"], "PASS"},
		{"nodes[0].state", node["state"], "booted"},
		{"nodes[0].last_report", node["last_report"], "2026-12-04T19:59:48Z"},
		{"nodes[0].last_file_name", node["last_file_name"], "initramfs.cpio.gz"},
		{"nodes[0].boot_time_ns", node["boot_time_ns"], 9.5e9},
		{"groups[1].state", group["state"], "failed"},
		{"groups[1].desired", group["desired"], dB},
		{"groups[1].reason", group["reason"], "verify sha256:bbbbbbbbbbbb: signature invalid"},
		// Unknown times are left out, not sent as year 1.
		{"nodes[1].last_report", empty["last_report"], nil},
		{"nodes[1].result", empty["result"], nil},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("JSON %s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	want := []string{
		"server 10.0.0.1, 2026-12-04 20:00:00Z",
		"",
		"GROUP  STATE    SERVING              CANARY  DESIRED              PREVIOUS  CANARY NODES  REASON",
		"web    serving  sha256:aaaaaaaaaaaa  -       sha256:aaaaaaaaaaaa  -         -             ",
		"db     failed   sha256:aaaaaaaaaaaa  -       sha256:bbbbbbbbbbbb  -         -             verify sha256:bbbbbbbbbbbb: signature invalid",
		"",
		"NODE   GROUP  MAC                IP         STATE   RESULT  GIVEN                BOOTED               BOOT  LAST DHCP  LAST FILE                  LAST REPORT  FLAG",
		"pxe01  web    52:54:00:00:00:01  10.0.0.11  booted  PASS    sha256:aaaaaaaaaaaa  sha256:aaaaaaaaaaaa  9.5s  30s ago    initramfs.cpio.gz 25s ago  12s ago      ",
		"pxe02  db     52:54:00:00:00:02  -          dhcp    -       sha256:aaaaaaaaaaaa  -                    -     2s ago     -                          -            ",
	}
	if len(lines) != len(want) {
		t.Fatalf("WriteTable wrote %d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("WriteTable line %d = %q, want %q", i, lines[i], want[i])
		}
	}
}

func TestHandlerJSON(t *testing.T) {
	snap := fixture()
	srv := httptest.NewServer(Handler(SourceFunc(func() Snapshot { return snap })))
	defer srv.Close()

	got, err := Fetch(context.Background(), srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, snap) {
		t.Errorf("Fetch = %+v, want %+v", got, snap)
	}
	// Bare host:port works as --server.
	if _, err := Fetch(context.Background(), strings.TrimPrefix(srv.URL, "http://"), nil); err != nil {
		t.Errorf("Fetch(host:port): %v", err)
	}

	for _, c := range []struct {
		method, path string
		code         int
		body         string // a substring
	}{
		{"GET", "/api/v1/groups", 200, `"name":"db"`},
		{"GET", "/api/v1/nodes", 200, `"name":"pxe02"`},
		{"GET", "/api/v1/nodes/pxe01", 200, `"ip":"10.0.0.11"`},
		{"GET", "/api/v1/nodes/nope", 404, `node \"nope\": not known`},
		{"HEAD", "/api/v1/status", 200, ""},
		{"HEAD", "/", 200, ""},
		{"GET", "/", 200, `<meta http-equiv="refresh" content="5">`},
		{"POST", "/api/v1/status", 405, ""},
		{"DELETE", "/", 405, ""},
		{"GET", "/nothing", 404, ""},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, resp.StatusCode, c.code)
		}
		if !strings.Contains(string(b), c.body) {
			t.Errorf("%s %s body = %q, want it to contain %q", c.method, c.path, b, c.body)
		}
	}
}

func TestFetchErrorsNameURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	for _, server := range []string{srv.URL, "127.0.0.1:1", "ftp://x", ""} {
		_, err := Fetch(context.Background(), server, nil)
		if err == nil {
			t.Errorf("Fetch(%q) = nil error, want one", server)
			continue
		}
		if server != "" && !strings.Contains(err.Error(), strings.TrimPrefix(server, "http://")) {
			t.Errorf("Fetch(%q) error %q does not name the server", server, err)
		}
	}
}

func TestPageEscapes(t *testing.T) {
	s := fixture()
	s.Nodes[0].Name = `<script>alert(1)</script>`
	s.Groups[1].Reason = `bad "quote" <b>`
	srv := httptest.NewServer(Handler(SourceFunc(func() Snapshot { return s })))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	for _, bad := range []string{"<script>", "<b>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	for _, want := range []string{
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		`<tr class="group fail" data-name="db"`,
		`<tr class="node" data-name="pxe02"`,
		`title="` + dA + `">sha256:aaaaaaaaaaaa</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
