package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"rambox/pxe"
	"rambox/serve/bootfs"
	"rambox/serve/dhcp"
	"rambox/serve/httpboot"
	"rambox/serve/tftp"
	"rambox/tftproot"
)

// ShutdownTimeout bounds how long a stop waits for HTTP transfers under way.
const ShutdownTimeout = 10 * time.Second

// Run serves cfg until ctx is done, then stops gracefully and returns
// nil. SIGHUP re-reads the inventory and the bundle file. Nothing is
// served unless a verified bundle is: without one Run returns why, before
// it listens anywhere.
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
	if cfg.BundleFile != "" {
		if cfg.Bundle, err = readBundleFile(cfg.BundleFile); err != nil {
			return err
		}
	}
	inv, err := pxe.LoadInventory(cfg.Inventory)
	if err != nil {
		return fmt.Errorf("--inventory %s: %w", cfg.Inventory, err)
	}
	got, err := obtain(ctx, cfg)
	if err != nil {
		return fmt.Errorf("serving nothing: %w", err)
	}
	logObtained(log, cfg, got)
	views := viewMaker{bundle: got, loaders: bootfs.Loaders{Dirs: cfg.LoaderDirs}, httpPort: port(cfg.HTTPAddr)}
	v, err := views.make(inv)
	if err != nil {
		return fmt.Errorf("serving nothing: %w", err)
	}
	var cur bootfs.Current
	cur.Store(v)

	// Before anything listens: a SIGHUP from whoever sees us serving
	// must not kill us.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	srv, err := listen(cfg, inv, &cur, log)
	if err != nil {
		return err
	}
	now := &served{cfg: cfg, views: views, cur: &cur, dhcp: srv.dhcp, log: log}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	failed := srv.start(sctx)
	log.Info("serving", "digest", v.Digest(), "http", srv.httpLn.Addr().String(), "tftp", srv.tftpConn.LocalAddr().String(), "dhcp", cfg.DHCP)

	for {
		select {
		case <-hup:
			now.reload(ctx)
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

// served is what Run serves now and how it got it.
type served struct {
	cfg   Config // cfg.Bundle is the ref served
	views viewMaker
	cur   *bootfs.Current
	dhcp  *dhcp.Server // nil with --dhcp off
	log   *slog.Logger
}

// reload re-reads the bundle file (when serving from one) and the
// inventory, and swaps in the View for them in one step. A bundle that
// does not verify keeps the old one; a bad inventory keeps the old View.
// Either way the log says why.
func (s *served) reload(ctx context.Context) {
	cfg, views := s.cfg, s.views
	if cfg.BundleFile != "" {
		ref, err := readBundleFile(cfg.BundleFile)
		if err == nil && ref != cfg.Bundle {
			next := cfg
			next.Bundle = ref
			var got obtained
			if got, err = obtain(ctx, next); err == nil && got.PullErr != nil {
				err = got.PullErr // the last good bundle is not the one asked for
			}
			if err == nil {
				logObtained(s.log, next, got)
				cfg, views.bundle = next, got
			}
		}
		if err != nil {
			s.log.Error("bundle not switched, serving the previous one", "bundle-file", cfg.BundleFile, "digest", cfg.Bundle.Digest, "err", err)
		}
	}
	inv, err := pxe.LoadInventory(cfg.Inventory)
	if err == nil {
		var v *bootfs.View
		if v, err = views.make(inv); err == nil {
			s.cfg, s.views = cfg, views
			s.cur.Store(v)
			if s.dhcp != nil {
				s.dhcp.SetInventory(inv)
			}
			s.log.Info("reloaded", "inventory", cfg.Inventory, "nodes", len(inv.Nodes), "digest", v.Digest())
			return
		}
	}
	s.log.Error("inventory not reloaded, serving the previous one", "inventory", cfg.Inventory, "err", err)
}

// logObtained says what is served and, for the last good bundle, why the
// configured one is not.
func logObtained(log *slog.Logger, cfg Config, got obtained) {
	d := got.Bundle.Manifest.Digest
	if got.PullErr != nil {
		log.Warn("pull failed, serving the last good bundle (re-verified)", "digest", d, "bundle", cfg.Bundle.String(), "err", got.PullErr)
	} else {
		log.Info("pulled and verified", "digest", d, "bundle", cfg.Bundle.String(), "profile", got.Bundle.Info.Profile)
	}
	if got.SaveErr != nil {
		log.Warn("not kept as the last good bundle", "digest", d, "err", got.SaveErr)
	}
}

// viewMaker builds the View of the obtained bundle for an inventory.
type viewMaker struct {
	bundle   obtained
	loaders  bootfs.Loaders
	httpPort string
}

func (m viewMaker) make(inv *pxe.Inventory) (*bootfs.View, error) {
	// Scripts name the server as the inventory does: the address clients reach.
	base := "http://" + net.JoinHostPort(inv.Network.Server.String(), m.httpPort)
	return bootfs.New(m.bundle.Bundle, inv, m.loaders, bootfs.Options{HTTPBase: base})
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
	log      *slog.Logger
	httpLn   net.Listener
	http     *http.Server
	tftpConn net.PacketConn
	dhcp     *dhcp.Server   // nil with --dhcp off
	wg       sync.WaitGroup // every server's goroutine
}

func listen(cfg Config, inv *pxe.Inventory, cur *bootfs.Current, log *slog.Logger) (*servers, error) {
	d, err := newDHCP(cfg, inv, log)
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
	h := &http.Server{Handler: logRequests(httpboot.Handler(cur), log), ReadHeaderTimeout: 10 * time.Second}
	return &servers{cfg: cfg, cur: cur, log: log, httpLn: ln, http: h, tftpConn: pc, dhcp: d}, nil
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
		if err := tftp.New(s.cur, tftp.Options{}).Serve(ctx, s.tftpConn); err != nil {
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

// logRequests logs every HTTP request once it is answered: the transfer
// log, which names the digest paths each client loaded.
func logRequests(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		log.Info("http", "client", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "range", r.Header.Get("Range"), "status", strconv.Itoa(sw.status))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
