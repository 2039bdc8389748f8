package status

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"strconv"
	"time"
)

//go:embed page.html
var pageSource string

// RefreshSeconds is how often the page reloads itself (a meta refresh: no
// script at all).
const RefreshSeconds = 5

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"short":    Short,
	"boottime": BootTime,
	"dash":     dash,
	"rfc3339": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
}).Parse(pageSource))

// pageData is what page.html renders.
type pageData struct {
	Snapshot
	Refresh int
}

// Ago formats t relative to the snapshot's time.
func (p pageData) Ago(t time.Time) string { return Ago(t, p.Generated) }

// writeHTML renders into a buffer first so a template error is a clean 500,
// not half a page.
func writeHTML(w http.ResponseWriter, s Snapshot) {
	var b bytes.Buffer
	if err := page.Execute(&b, pageData{Snapshot: s, Refresh: RefreshSeconds}); err != nil {
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.Write(b.Bytes())
}
