// Package httpboot is rambox serve's HTTP server for iPXE: GET and HEAD of
// the current bootfs.View's files, with Range and conditional requests
// (http.ServeContent), the ETag a file's sha256, and /ipxe/<mac>.ipxe the
// script of the node with that MAC. Each request reads the one View
// current when it arrives, so a switch of bundle never mixes two in one
// response. No directory is listed; no other method is allowed.
package httpboot

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strings"

	"rambox/serve/bootfs"
	"rambox/tftproot"
)

// Handler serves cur.
func Handler(cur *bootfs.Current) http.Handler { return handler{cur} }

type handler struct{ cur *bootfs.Current }

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, fmt.Sprintf("method %s not allowed: this server is read-only", r.Method), http.StatusMethodNotAllowed)
		return
	}
	v := h.cur.Load()
	if v == nil {
		http.Error(w, "no verified bundle to serve yet", http.StatusServiceUnavailable)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if dir, base := path.Split(name); dir == bootfs.ScriptDir+"/" && strings.HasSuffix(base, bootfs.ScriptExt) {
		mac, err := net.ParseMAC(strings.TrimSuffix(base, bootfs.ScriptExt))
		if err != nil || len(mac) != 6 {
			http.Error(w, fmt.Sprintf("%s: not a script name: want %s", r.URL.Path, "/"+bootfs.ScriptDir+"/<mac>"+bootfs.ScriptExt), http.StatusNotFound)
			return
		}
		if name, err = v.ScriptName(mac); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
	}
	serveFile(w, r, v, name)
}

// serveFile serves the View's file name, or 404 for anything else
// (directories, unclean names).
func serveFile(w http.ResponseWriter, r *http.Request, v *bootfs.View, name string) {
	sum, ok := v.SHA256(name)
	if !ok {
		http.Error(w, fmt.Sprintf("%s: not served", r.URL.Path), http.StatusNotFound)
		return
	}
	f, err := v.FS().Open(name)
	if err != nil {
		http.Error(w, fmt.Sprintf("%s: %v", r.URL.Path, err), http.StatusNotFound)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, fmt.Sprintf("%s: %v", r.URL.Path, err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("ETag", `"`+sum+`"`)
	w.Header().Set("Content-Type", contentType(name))
	// The View's files are always ReadSeekers (bytes.Reader).
	http.ServeContent(w, r, name, fi.ModTime(), f.(io.ReadSeeker))
}

// contentType is the Content-Type of a served name: text for scripts and
// configs, JSON for bundle.json, bytes for the rest.
func contentType(name string) string {
	switch {
	case path.Ext(name) == bootfs.ScriptExt, strings.HasPrefix(name, tftproot.ConfigDir+"/"):
		return "text/plain; charset=utf-8"
	case path.Ext(name) == ".json":
		return "application/json"
	}
	return "application/octet-stream"
}
