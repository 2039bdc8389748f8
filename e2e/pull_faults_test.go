package e2e

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"rambox/bundle"
)

// registry is a docker-registry of one test's own (ci/registry.sh with a
// private state dir and port), so that the test may kill it.
type registry struct {
	t         *testing.T
	dir, addr string
}

func startRegistry(t *testing.T) registry {
	t.Helper()
	r := registry{t: t, dir: t.TempDir(), addr: freeAddr(t)}
	r.script("start")
	t.Cleanup(func() { r.script("stop") })
	return r
}

func (r registry) script(verb string) {
	r.t.Helper()
	cmd := exec.Command("bash", filepath.Join(repoRoot(r.t), "ci/registry.sh"), verb)
	cmd.Env = append(os.Environ(), "RAMBOX_REGISTRY_DIR="+r.dir, "RAMBOX_REGISTRY_ADDR="+r.addr)
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("registry.sh %s: %v\n%s", verb, err, out)
	}
}

// kill9 kills the registry process with SIGKILL.
func (r registry) kill9() {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "registry.pid"))
	if err != nil {
		r.t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		r.t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		r.t.Fatalf("kill -9 registry %d: %v", pid, err)
	}
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// stallingProxy forwards to upstream; the blob with digest hex it sends
// half of, then says so on mid and waits for release, then cuts the
// connection (as a registry dying mid-blob would).
func stallingProxy(t *testing.T, upstream, hex string) (addr string, mid <-chan struct{}, release chan<- struct{}) {
	midc, relc := make(chan struct{}), make(chan struct{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		out, err := http.NewRequest(req.Method, "http://"+upstream+req.URL.RequestURI(), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = req.Header.Clone()
		// The client follows no redirect of ours: the registry's own
		// answer goes back as it is.
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/blobs/sha256:"+hex) {
			io.Copy(w, resp.Body)
			return
		}
		io.CopyN(w, resp.Body, resp.ContentLength/2)
		w.(http.Flusher).Flush()
		close(midc)
		<-relc
		panic(http.ErrAbortHandler)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String(), midc, relc
}

// TestPullFaults: a pull killed with SIGKILL mid-download, and a pull
// whose registry is killed mid-blob, leave the TFTP root (serving A)
// exactly as it was, and the next pull succeeds.
func TestPullFaults(t *testing.T) {
	requireE2E(t)
	cases := []struct {
		name  string
		fault func(t *testing.T, reg registry, pull *exec.Cmd)
	}{
		{"pull killed mid-download", func(t *testing.T, _ registry, pull *exec.Cmd) {
			pull.Process.Signal(syscall.SIGKILL)
		}},
		{"registry killed mid-blob", func(t *testing.T, reg registry, _ *exec.Cmd) {
			reg.kill9()
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reg := startRegistry(t)
			cl := newCLI(t)
			to := reg.addr + "/e2e/faults:latest"
			refA := cl.publish(fakeBundle(t, "faults-A"), to)
			b := fakeBundle(t, "faults-B")
			refB := cl.publish(b, to)
			root := filepath.Join(t.TempDir(), "tftp")
			if out, err := cl.run("pull", refA, "--key", "cosign.pub", "--tftp-root", root); err != nil {
				t.Fatalf("pull A: %v\n%s", err, out)
			}
			before := snapshot(t, root)

			initrd, err := os.ReadFile(filepath.Join(b, bundle.Initramfs))
			if err != nil {
				t.Fatal(err)
			}
			proxy, mid, release := stallingProxy(t, reg.addr, hexOf(string(initrd)))
			// The proxy is a mirror at another address: the signature names
			// the registry's repository.
			pull := exec.Command(cl.bin, "pull", strings.Replace(refB, reg.addr, proxy, 1), "--key", "cosign.pub", "--tftp-root", root,
				"--signed-identity", reg.addr+"/e2e/faults")
			pull.Dir = cl.dir
			out := new(strings.Builder)
			pull.Stdout, pull.Stderr = out, out
			if err := pull.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-mid:
			case <-time.After(60 * time.Second):
				pull.Process.Kill()
				pull.Wait()
				t.Fatalf("the pull never reached the initramfs blob:\n%s", out)
			}
			c.fault(t, reg, pull)
			close(release)
			if err := pull.Wait(); err == nil {
				t.Fatalf("pull B succeeded through %s:\n%s", c.name, out)
			}
			t.Logf("pull B: %s", strings.TrimSpace(out.String()))
			if after := snapshot(t, root); after != before {
				t.Errorf("the TFTP root changed after %s:\nbefore:\n%s\nafter:\n%s", c.name, before, after)
			}

			reg.script("start") // the same storage: a no-op when it still runs
			if out, err := cl.run("pull", refB, "--key", "cosign.pub", "--tftp-root", root); err != nil {
				t.Fatalf("the pull after %s: %v\n%s", c.name, err, out)
			}
			if cur, _ := os.Readlink(filepath.Join(root, "current")); !strings.HasSuffix(cur, refB[strings.LastIndex(refB, ":")+1:]) {
				t.Errorf("current -> %s after the next pull, want B", cur)
			}
		})
	}
}
