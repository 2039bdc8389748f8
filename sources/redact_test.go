package sources

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:TOKEN@host.example/a/b.tar.xz", "https://host.example/a/b.tar.xz"},
		{"https://TOKEN@host.example/a", "https://host.example/a"},
		{"http://u:p@127.0.0.1:8080/x?y=1#z", "http://127.0.0.1:8080/x?y=1#z"},
		{"https://u:p@host.example", "https://host.example"},
		{"https://u:p@host.example?q=a@b", "https://host.example?q=a@b"},
		{"https://host.example/a@b", "https://host.example/a@b"},  // an @ in the path is not userinfo
		{"https://u:p%zz@host.example/", "https://host.example/"}, // not even a valid URL
		{"https://u:p@x@host.example/", "https://host.example/"},  // the last @ ends userinfo
		{"https://host.example/plain", "https://host.example/plain"},
		{"/usr/src/linux.tar.xz", "/usr/src/linux.tar.xz"},
		{"git@github.example:org/repo.git", "git@github.example:org/repo.git"}, // scp form: a user name, no secret
		{"", ""},
	}
	for _, tc := range tests {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Downloading may use the credentials; the pin in force records none, and
// errors do not show them.
func TestOverrideURLCredentials(t *testing.T) {
	srv, _ := server(t)
	withCreds := strings.Replace(srv.URL, "http://", "http://user:TOKEN@", 1)
	var gotAuth string
	inner := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, gotAuth, _ = r.BasicAuth()
		inner.ServeHTTP(w, r)
	})
	c := Cache{Dir: t.TempDir()}
	pinned := Pin{Name: "linux", File: "linux.tar", SHA256: strings.Repeat("0", 64)}
	o := Override{Name: "linux", Location: withCreds + "/good", SHA256: pinFor().SHA256}
	pin, _, err := c.Fetch(context.Background(), pinned, []Override{o}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if gotAuth != "TOKEN" {
		t.Errorf("the server saw password %q, want the URL's", gotAuth)
	}
	if strings.Join(pin.URLs, " ") != srv.URL+"/good" {
		t.Errorf("pin in force records URLs %q, want %q", pin.URLs, srv.URL+"/good")
	}
	for _, path := range []string{"/missing", "/wrong"} {
		o := Override{Name: "linux", Location: withCreds + path, SHA256: pinFor().SHA256}
		_, _, err := (Cache{Dir: t.TempDir()}).Fetch(context.Background(), pinned, []Override{o}, srv.Client(), nil)
		if err == nil || strings.Contains(err.Error(), "TOKEN") || strings.Contains(err.Error(), "user") {
			t.Errorf("Fetch(%s) error = %v, want an error without the credentials", path, err)
		}
	}
}
