package status

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Handler serves src:
//
//	GET /                      the HTML page (refreshes itself every 5 s)
//	GET /api/v1/status         the Snapshot as JSON
//	GET /api/v1/groups         its groups
//	GET /api/v1/nodes          its nodes
//	GET /api/v1/nodes/{name}   one node (404 if unknown)
//
// HEAD works on each; other methods get 405 (the mux's method patterns).
func Handler(src Source) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeHTML(w, src.Snapshot())
	})
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, src.Snapshot())
	})
	mux.HandleFunc("GET /api/v1/groups", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(src.Snapshot().Groups))
	})
	mux.HandleFunc("GET /api/v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(src.Snapshot().Nodes))
	})
	mux.HandleFunc("GET /api/v1/nodes/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		for _, n := range src.Snapshot().Nodes {
			if n.Name == name {
				writeJSON(w, http.StatusOK, n)
				return
			}
		}
		writeJSON(w, http.StatusNotFound, apiError{Error: fmt.Sprintf("node %q: not known", name)})
	})
	return mux
}

// apiError is the JSON body of an API error.
type apiError struct {
	Error string `json:"error"`
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	// Compact: with 1,000 nodes indenting costs a third more bytes and
	// time; `rambox status --json` indents.
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
