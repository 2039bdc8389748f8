// Command serveload loads `rambox serve --dhcp off` on loopback: TFTP
// clients fetching the kernel and initramfs from serve and then from
// tftpd-hpa serving the same bytes at the same paths, then HTTP clients
// fetching both from serve; every download's sha256 is checked against the
// bundle's files. It samples serve's memory (/proc/PID/status) idle and
// during each load, and prints "NAME VALUE" lines for bench/serve-load.sh:
//
//	tftp.serve.mbps, tftp.tftpd.mbps  aggregate MB/s (1e6 bytes) of the TFTP loads
//	http.mbps, http.p99-ms            aggregate MB/s and per-request p99 of the HTTP load
//	rss.idle-kb, rss.tftp-kb, rss.http-kb, hwm.kb   serve's VmRSS idle, peak VmRSS under each load, VmHWM after
//
//	serveload -rambox BIN -key PUB -bundle-file FILE -bundle-dir DIR -inventory FILE
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"pack.ag/tftp"

	"rambox/bench/internal/syncbuf"
	"rambox/bundle"
	"rambox/serve/bootfs"
)

func main() {
	var o options
	flag.StringVar(&o.bin, "rambox", "", "the rambox `binary`")
	flag.StringVar(&o.key, "key", "", "the public `key` the bundle is signed with")
	flag.StringVar(&o.bundleFile, "bundle-file", "", "`file` holding the pinned ref to serve")
	flag.StringVar(&o.bundleDir, "bundle-dir", "", "the bundle's `directory` (the bytes every download must match)")
	flag.StringVar(&o.inventory, "inventory", "", "node inventory `file` for serve")
	flag.IntVar(&o.tftpClients, "tftp-clients", 32, "concurrent TFTP clients")
	flag.IntVar(&o.httpClients, "http-clients", 256, "concurrent HTTP clients")
	flag.DurationVar(&o.limit, "limit", 5*time.Minute, "time limit of each load")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "serveload: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	bin, key, bundleFile, bundleDir, inventory string
	tftpClients, httpClients                   int
	limit                                      time.Duration
}

// file is one served file: its path on both servers and its bytes' digest.
type file struct {
	path string
	size int64
	sum  [32]byte
}

func run(o options) error {
	ref, err := os.ReadFile(o.bundleFile)
	if err != nil {
		return err
	}
	s := strings.TrimSpace(string(ref))
	digest := s[strings.LastIndex(s, ":")+1:]
	dir, err := os.MkdirTemp("", "serveload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// tftpd-hpa's root holds the same bytes at serve's paths.
	var files []file
	for _, name := range []string{bundle.Kernel, bundle.Initramfs} {
		b, err := os.ReadFile(filepath.Join(o.bundleDir, name))
		if err != nil {
			return err
		}
		f := file{path: bootfs.BundlePath(digest, name), size: int64(len(b)), sum: sha256.Sum256(b)}
		dst := filepath.Join(dir, "tftpd", f.path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		files = append(files, f)
	}

	httpAddr, err := freeAddr("tcp")
	if err != nil {
		return err
	}
	serveTFTP, err := freeAddr("udp")
	if err != nil {
		return err
	}
	tftpdAddr, err := freeAddr("udp")
	if err != nil {
		return err
	}
	serveLog := &syncbuf.Buffer{}
	serve := exec.Command(o.bin, "serve", "--bundle-file", o.bundleFile, "--key", o.key, "--inventory", o.inventory,
		"--state", filepath.Join(dir, "state"), "--dhcp", "off", "--http", httpAddr, "--tftp", serveTFTP)
	serve.Stdout, serve.Stderr = serveLog, serveLog
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() { serve.Process.Signal(syscall.SIGTERM); serve.Wait() }()
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(serveLog.String(), "msg=serving"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("serve did not log msg=serving within 60s:\n%s", serveLog)
		}
	}
	// As boot/netns.go starts it, on its own port, in the foreground.
	tftpd := exec.Command("in.tftpd", "--foreground", "--secure", "--user", "root", "--address", tftpdAddr, filepath.Join(dir, "tftpd"))
	var tftpdLog syncbuf.Buffer
	tftpd.Stdout, tftpd.Stderr = &tftpdLog, &tftpdLog
	if err := tftpd.Start(); err != nil {
		return fmt.Errorf("in.tftpd: %w", err)
	}
	defer func() { tftpd.Process.Kill(); tftpd.Wait() }()
	time.Sleep(500 * time.Millisecond) // tftpd binds before it reads a request; a retransmit covers the rest

	pid := serve.Process.Pid
	idle, err := status(pid, "VmRSS")
	if err != nil {
		return err
	}
	fmt.Printf("rss.idle-kb %d\n", idle)

	peak := sampler(pid)
	mbps, err := tftpLoad(o, serveTFTP, files)
	if err != nil {
		return fmt.Errorf("TFTP from serve: %w\nserve's log tail:\n%s", err, tail(serveLog.String()))
	}
	fmt.Printf("tftp.serve.mbps %.3f\nrss.tftp-kb %d\n", mbps, peak())
	if mbps, err = tftpLoad(o, tftpdAddr, files); err != nil {
		return fmt.Errorf("TFTP from in.tftpd: %w\n%s", err, tail(tftpdLog.String()))
	}
	fmt.Printf("tftp.tftpd.mbps %.3f\n", mbps)

	peak = sampler(pid)
	mbps, p99, err := httpLoad(o, httpAddr, files)
	if err != nil {
		return fmt.Errorf("HTTP from serve: %w\nserve's log tail:\n%s", err, tail(serveLog.String()))
	}
	fmt.Printf("http.mbps %.3f\nhttp.p99-ms %.1f\nrss.http-kb %d\n", mbps, p99.Seconds()*1000, peak())
	hwm, err := status(pid, "VmHWM")
	if err != nil {
		return err
	}
	fmt.Printf("hwm.kb %d\n", hwm)
	return nil
}

// tftpLoad runs o.tftpClients clients at once, each fetching every file,
// and returns the aggregate throughput in MB/s.
func tftpLoad(o options, addr string, files []file) (float64, error) {
	// The block size pxelinux and iPXE ask for (an Ethernet frame's worth).
	c, err := tftp.NewClient(tftp.ClientBlocksize(1468), tftp.ClientTimeout(2), tftp.ClientRetransmit(5), tftp.ClientTransferSize(true))
	if err != nil {
		return 0, err
	}
	return load(o.tftpClients, o.limit, files, func(f file) (io.ReadCloser, error) {
		r, err := c.Get("tftp://" + addr + "/" + f.path)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(r), nil
	}, nil)
}

// httpLoad runs o.httpClients clients at once, each fetching every file,
// and returns the aggregate throughput in MB/s and the p99 request time.
func httpLoad(o options, addr string, files []file) (float64, time.Duration, error) {
	client := &http.Client{Timeout: o.limit, Transport: &http.Transport{MaxIdleConnsPerHost: o.httpClients}}
	var mu sync.Mutex
	var times []time.Duration
	mbps, err := load(o.httpClients, o.limit, files, func(f file) (io.ReadCloser, error) {
		resp, err := client.Get("http://" + addr + "/" + f.path)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("%s: HTTP %s", f.path, resp.Status)
		}
		return resp.Body, nil
	}, func(d time.Duration) { mu.Lock(); times = append(times, d); mu.Unlock() })
	if err != nil {
		return 0, 0, err
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return mbps, times[(len(times)*99+99)/100-1], nil
}

// errLimit: a load did not finish within its time limit.
var errLimit = errors.New("load did not finish within its limit")

// load runs clients goroutines, each opening and reading every file once
// and checking its sha256; took, when set, gets each request's time.
func load(clients int, limit time.Duration, files []file, open func(file) (io.ReadCloser, error), took func(time.Duration)) (float64, error) {
	var total atomic.Int64
	errs := make(chan error, clients)
	start := time.Now()
	for i := 0; i < clients; i++ {
		go func() {
			for _, f := range files {
				t0 := time.Now()
				r, err := open(f)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", f.path, err)
					return
				}
				h := sha256.New()
				n, err := io.Copy(h, r)
				r.Close()
				if err != nil {
					errs <- fmt.Errorf("%s: %w", f.path, err)
					return
				}
				if sum := h.Sum(nil); n != f.size || !bytes.Equal(sum, f.sum[:]) {
					errs <- fmt.Errorf("%s: got %d bytes, sha256 %x, want %d bytes, %x", f.path, n, sum, f.size, f.sum)
					return
				}
				if took != nil {
					took(time.Since(t0))
				}
				total.Add(n)
			}
			errs <- nil
		}()
	}
	timeout := time.After(limit)
	var all []error
	for i := 0; i < clients; i++ {
		select {
		case err := <-errs:
			all = append(all, err)
		case <-timeout:
			return 0, fmt.Errorf("%d clients, %s: %w", clients, limit, errLimit)
		}
	}
	if err := errors.Join(all...); err != nil {
		return 0, err
	}
	return float64(total.Load()) / 1e6 / time.Since(start).Seconds(), nil
}

// sampler polls pid's VmRSS every 20 ms until the returned function is
// called, which returns the peak seen.
func sampler(pid int) func() int64 {
	ctx, cancel := context.WithCancel(context.Background())
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for t := time.NewTicker(20 * time.Millisecond); ; {
			if kb, err := status(pid, "VmRSS"); err == nil && kb > peak.Load() {
				peak.Store(kb)
			}
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { cancel(); <-done; return peak.Load() }
}

// status is the field (in kB) of /proc/PID/status.
func status(pid int, field string) (int64, error) {
	p := "/proc/" + strconv.Itoa(pid) + "/status"
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", p, field)
}

// freeAddr is a loopback address with a port free just now.
func freeAddr(network string) (string, error) {
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer c.Close()
		return c.LocalAddr().String(), nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
