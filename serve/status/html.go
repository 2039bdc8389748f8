package status

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed page.html
var pageSource string

// RefreshSeconds is how often the page reloads itself (a meta refresh: no
// script at all).
const RefreshSeconds = 5

var page = template.Must(template.New("page").Parse(pageSource))

// The page's data is formatted in Go, not by template functions: with
// 1,000 nodes every template call is 1,000 reflective calls, and this
// halves the page's render time (BenchmarkPage1000). html/template still
// escapes every value.
type pageData struct {
	Server, Generated string
	Refresh           int
	Groups            []groupView
	Nodes             []nodeView
}

// digestView is a digest cell: shortened text, the full digest as title.
type digestView struct{ Full, Short string }

func newDigest(d string) digestView { return digestView{Full: d, Short: dash(Short(d))} }

// timeView is a time cell: relative text, RFC 3339 as title.
type timeView struct{ RFC3339, Ago string }

func newTime(t, now time.Time) timeView { return timeView{RFC3339: rfc3339(t), Ago: Ago(t, now)} }

type groupView struct {
	Class, Name, State, CanaryNodes, Reason string
	Serving, Canary, Desired, Previous      digestView
}

type nodeView struct {
	Class, Name, Group, MAC, IP, State, Result, ResultClass, BootTime, LastFileName, Flag string
	RawState, RawResult                                                                   string
	Given, Booted                                                                         digestView
	LastDHCP, LastFile, LastReport                                                        timeView
}

func newPageData(s Snapshot) pageData {
	p := pageData{Server: s.Server, Generated: rfc3339(s.Generated), Refresh: RefreshSeconds,
		Groups: make([]groupView, len(s.Groups)), Nodes: make([]nodeView, len(s.Nodes))}
	for i, g := range s.Groups {
		class := "group"
		if g.Failed() {
			class += " fail"
		}
		p.Groups[i] = groupView{Class: class, Name: g.Name, State: dash(g.State), CanaryNodes: dash(strings.Join(g.CanaryNodes, ", ")),
			Reason: g.Reason, Serving: newDigest(g.Serving), Canary: newDigest(g.Canary), Desired: newDigest(g.Desired), Previous: newDigest(g.Previous)}
	}
	for i, n := range s.Nodes {
		class, resultClass := "node", "result"
		if n.Failed() {
			class += " fail"
		}
		if n.Flag != "" {
			class += " flagged"
		}
		if n.Result == ResultFail {
			resultClass += " fail"
		}
		p.Nodes[i] = nodeView{Class: class, Name: n.Name, Group: n.Group, MAC: n.MAC, IP: dash(n.IP),
			State: dash(n.State), Result: dash(n.Result), ResultClass: resultClass, RawState: n.State, RawResult: n.Result,
			BootTime: BootTime(n.BootTime), LastFileName: n.LastFileName, Flag: n.Flag,
			Given: newDigest(n.Given), Booted: newDigest(n.Booted),
			LastDHCP: newTime(n.LastDHCP, s.Generated), LastFile: newTime(n.LastFile, s.Generated), LastReport: newTime(n.LastReport, s.Generated)}
	}
	return p
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// writeHTML renders into a buffer first so a template error is a clean 500,
// not half a page.
func writeHTML(w http.ResponseWriter, s Snapshot) {
	var b bytes.Buffer
	b.Grow(1024 + 1300*len(s.Nodes))
	if err := page.Execute(&b, newPageData(s)); err != nil {
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.Write(b.Bytes())
}
