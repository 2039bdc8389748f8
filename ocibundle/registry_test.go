package ocibundle_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/ocibundle"
	"rambox/signing"
)

// silentRegistry accepts connections on loopback and never answers.
func silentRegistry(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// TestFetchTimesOut: a registry that accepts the connection and never
// answers makes Fetch fail within the limits given, naming the host (on
// main it hung forever).
func TestFetchTimesOut(t *testing.T) {
	addr := silentRegistry(t)
	ref := ocibundle.Ref{Repo: addr + "/rambox/bundle", Digest: digest.FromString("x")}
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		short := ocibundle.Timeouts{Dial: time.Second, TLSHandshake: time.Second, ResponseHeader: 100 * time.Millisecond, Idle: time.Second}
		_, err := ocibundle.Fetch(context.Background(), ref, signing.KeyVerifier{}, ocibundle.FetchOptions{Timeouts: short})
		errc <- err
	}()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), addr) {
			t.Errorf("Fetch(%s) = %v, want an error naming %s", ref, err, addr)
		}
		t.Logf("refused after %s: %v", time.Since(start), err)
	case <-time.After(30 * time.Second):
		t.Fatalf("Fetch(%s) from a registry that never answers still running after 30s", ref)
	}
}

// TestFetchRefusesOversizedManifest: a registry that says a manifest is
// 1 TiB is refused by that size, naming the digest and the limit, and no
// manifest body is ever requested.
func TestFetchRefusesOversizedManifest(t *testing.T) {
	d := digest.FromString("huge manifest")
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets.Add(1)
		}
		w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
		w.Header().Set("Docker-Content-Digest", d.String())
		w.Header().Set("Content-Length", strconv.FormatInt(1<<40, 10))
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	ref := ocibundle.Ref{Repo: strings.TrimPrefix(srv.URL, "http://") + "/rambox/bundle", Digest: d}
	_, err := ocibundle.Fetch(context.Background(), ref, signing.KeyVerifier{}, ocibundle.FetchOptions{})
	if !errors.Is(err, ocibundle.ErrTooLarge) || !strings.Contains(err.Error(), d.String()) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("Fetch(%s) = %v, want ErrTooLarge naming %s and the limit", ref, err, d)
	}
	if n := gets.Load(); n != 0 {
		t.Errorf("Fetch(%s) sent %d GETs, want none", ref, n)
	}
}
