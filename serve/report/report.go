// Package report serves the endpoint a box's /init posts its boot report
// to (rootfs/tree/init, rambox.report=URL on its command line).
package report

import (
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"time"

	"rambox/serve/records"
)

// Path is where serve mounts Handler; the URL given to boxes ends in it.
const Path = "/api/v1/report"

// MaxBody caps a report's body: the real one is about 300 bytes.
const MaxBody = 4 << 10

// Handler records POSTed reports in s. names maps a MAC to its inventory
// name ("" for an unknown client; names may be nil). onReport, if not
// nil, is called with the node as it stands after each recorded report.
// A bad report gets 400 naming the field; a method other than POST 405.
func Handler(s *records.Store, names func(net.HardwareAddr) string, onReport func(records.Node)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "boot reports are POSTed", http.StatusMethodNotAllowed)
			return
		}
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
			http.Error(w, fmt.Sprintf("Content-Type %q, want application/x-www-form-urlencoded", ct), http.StatusUnsupportedMediaType)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		if err := r.ParseForm(); err != nil {
			status := http.StatusBadRequest
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				status = http.StatusRequestEntityTooLarge
			}
			http.Error(w, "report body: "+err.Error(), status)
			return
		}
		var remote netip.Addr
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			remote = ap.Addr()
		}
		rep, err := records.ParseReport(r.PostForm, remote, time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		name := ""
		if names != nil {
			mac, _ := net.ParseMAC(rep.MAC) // ParseReport checked it
			name = names(mac)
		}
		n, err := s.Report(rep, name)
		if err != nil {
			http.Error(w, "report not recorded: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if onReport != nil {
			onReport(n)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if n.Flag != "" {
			fmt.Fprintf(w, "recorded, flagged: %s\n", n.Flag)
			return
		}
		fmt.Fprintln(w, "recorded")
	})
}
