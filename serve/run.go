package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"rambox/pxe"
	"rambox/serve/bootfs"
	"rambox/serve/dhcp"
	"rambox/serve/httpboot"
	"rambox/serve/metrics"
	"rambox/serve/records"
	"rambox/serve/report"
	"rambox/serve/status"
	"rambox/serve/tftp"
	"rambox/tftproot"
)

// ShutdownTimeout bounds how long a stop waits for HTTP transfers under way.
const ShutdownTimeout = 10 * time.Second

// Run serves cfg until ctx is done, then stops gracefully and returns
// nil. Nothing is served unless a verified bundle is: without one Run
// returns why, before it listens anywhere. Once serving, SIGHUP or a
// change to the config, bundle file or inventory reconciles in the
// background: each group's new digest is pulled and verified, and the
// group switches (or starts its canary) only once it is.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	// One server per state directory: two would race on the last good copy.
	unlock, err := tftproot.Lock(ctx, cfg.State)
	if err != nil {
		return fmt.Errorf("--state %s: %w", cfg.State, err)
	}
	defer unlock()
	w, err := readDesired(cfg)
	if err != nil {
		return err
	}
	if err := checkGroupNames(w); err != nil {
		return err
	}
	store, err := records.Open(filepath.Join(cfg.State, RecordsFile))
	if err != nil {
		return fmt.Errorf("--state %s: %w", cfg.State, err)
	}
	defer store.Close()

	base := "http://" + net.JoinHostPort(w.inv.Network.Server.String(), port(cfg.HTTPAddr))
	m := metrics.New()
	rec := &reconciler{
		cfg: cfg, fleet: &fleet{}, cur: &bootfs.Current{}, metrics: m, log: log, inv: w.inv,
		loaders: bootfs.Loaders{Dirs: cfg.LoaderDirs},
		// Scripts name the server as the inventory does: the address clients reach.
		opts:    bootfs.Options{HTTPBase: base, ReportURL: base + report.Path},
		trigger: make(chan struct{}, 1),
	}
	rec.pullAll(ctx, rec.fleet.adopt(w), true)
	if !rec.fleet.anyServing() {
		return fmt.Errorf("serving nothing: %w:\n%s", errNothingVerified, strings.Join(rec.fleet.failures(), "\n"))
	}
	rec.publish(w.inv)
	if rec.cur.Load() == nil {
		return fmt.Errorf("serving nothing: the View of the verified bundles could not be built (see the log)")
	}
	obs := &observer{store: store, metrics: m, fleet: rec.fleet, rec: rec, log: log, server: base}

	// Before anything listens: a SIGHUP from whoever sees us serving
	// must not kill us.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	srv, err := listen(cfg, w.inv, rec.cur, obs)
	if err != nil {
		return err
	}
	rec.setDHCP(srv.dhcp)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	failed := srv.start(sctx)
	log.Info("serving", "digest", rec.digests(), "http", srv.httpLn.Addr().String(), "tftp", srv.tftpConn.LocalAddr().String(), "dhcp", cfg.DHCP)
	go rec.loop(sctx)
	go rec.watch(sctx, func() []string { return watched(cfg, rec.fleet.wanted()) })

	for {
		select {
		case <-hup:
			rec.poke()
		case err := <-failed:
			stop()
			srv.shutdown()
			return err
		case <-ctx.Done():
			log.Info("stopping", "why", context.Cause(ctx))
			stop()
			return srv.shutdown()
		}
	}
}

// RecordsFile is the record store, in Config.State.
const RecordsFile = "records.db"

// validTag is what an OCI tag may be; a group's name goes into one.
var validTag = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,100}$`)

// checkGroupNames refuses a group whose name cannot tag its last good
// bundle.
func checkGroupNames(w wanted) error {
	var errs []error
	for _, g := range w.cfg.Groups {
		if !validTag.MatchString(g.Name) {
			errs = append(errs, fmt.Errorf("%s: group %q: name: want letters, digits, '.', '_' or '-' (it names the group's last good bundle)", w.cfg.Path, g.Name))
		}
	}
	return errors.Join(errs...)
}

// port is addr's port (Validate checked it splits).
func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// servers are the listening sockets, opened before anything is served so
// that a busy port fails the start.
type servers struct {
	cfg      Config
	cur      *bootfs.Current
	obs      *observer
	httpLn   net.Listener
	http     *http.Server
	tftpConn net.PacketConn
	dhcp     *dhcp.Server   // nil with --dhcp off
	wg       sync.WaitGroup // every server's goroutine
}

func listen(cfg Config, inv *pxe.Inventory, cur *bootfs.Current, obs *observer) (*servers, error) {
	d, err := newDHCP(cfg, inv, obs.dhcp)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("--http %s: %w", cfg.HTTPAddr, err)
	}
	pc, err := net.ListenPacket("udp", cfg.TFTPAddr)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("--tftp %s: %w", cfg.TFTPAddr, err)
	}
	h := &http.Server{Handler: obs.logRequests(routes(cur, obs)), ReadHeaderTimeout: 10 * time.Second}
	return &servers{cfg: cfg, cur: cur, obs: obs, httpLn: ln, http: h, tftpConn: pc, dhcp: d}, nil
}

// start runs every server; the channel gets each one's failure.
func (s *servers) start(ctx context.Context) <-chan error {
	failed := make(chan error, 3)
	if s.dhcp != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.dhcp.Serve(ctx, s.cfg.Interface); err != nil {
				failed <- fmt.Errorf("--dhcp %s on --interface %s: %w", s.cfg.DHCP, s.cfg.Interface, err)
			}
		}()
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(s.httpLn); !errors.Is(err, http.ErrServerClosed) {
			failed <- fmt.Errorf("--http %s: %w", s.cfg.HTTPAddr, err)
		}
	}()
	go func() {
		defer s.wg.Done()
		if err := tftp.New(s.cur, tftp.Options{OnDone: s.obs.tftpDone}).Serve(ctx, s.tftpConn); err != nil {
			failed <- fmt.Errorf("--tftp %s: %w", s.cfg.TFTPAddr, err)
		}
	}()
	return failed
}

// shutdown lets HTTP transfers under way finish (within ShutdownTimeout)
// and waits for every server; TFTP and DHCP end with the context start
// was given.
func (s *servers) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(ctx)
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("--http %s: stopping: %w", s.cfg.HTTPAddr, err)
	}
	return nil
}

// routes is serve's HTTP side: the boot files (the View), boot reports,
// the status page and its API, and the metrics.
func routes(cur *bootfs.Current, obs *observer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", httpboot.Handler(cur))
	mux.Handle(report.Path, report.Handler(obs.store, obs.nodeName, obs.reported))
	st := status.Handler(obs)
	mux.Handle("/{$}", st)
	mux.Handle(status.APIPrefix, st)
	mux.Handle(MetricsPath, obs.metrics.Handler())
	return mux
}

// MetricsPath is where Prometheus scrapes serve.
const MetricsPath = "/metrics"

// logRequests records each boot file served whole and logs every HTTP
// request once it is answered (the transfer log, which names the digest
// paths each client loaded). Recorded before logged: a transfer in the
// log is on record even if serve is killed right after the line.
func (o *observer) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		if r.Method == http.MethodGet && (sw.status == http.StatusOK || sw.status == http.StatusPartialContent) && bootFile(r.URL.Path) {
			if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
				o.transfer("http", ap.Addr(), r.URL.Path, sw.bytes)
			}
		}
		o.log.Info("http", "client", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "range", r.Header.Get("Range"), "status", strconv.Itoa(sw.status))
	})
}

// bootFile reports whether an HTTP path is a boot file (not the status
// page, its API, the metrics or a report).
func bootFile(p string) bool {
	return p != "/" && !strings.HasPrefix(p, status.APIPrefix) && p != MetricsPath && p != report.Path
}

// tftpDone records a TFTP transfer acknowledged to its end.
func (o *observer) tftpDone(client net.Addr, name string, size int64) {
	if ua, ok := client.(*net.UDPAddr); ok {
		if a, ok := netip.AddrFromSlice(ua.IP); ok {
			o.transfer("tftp", a, name, size)
		}
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}
