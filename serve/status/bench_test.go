package status

import (
	"fmt"
	"io"
	"net/http/httptest"
	"testing"
	"time"
)

// fleet is n booted nodes, as bench/internal/statusload loads.
func fleet(n int) Snapshot {
	s := fixture()
	base := s.Nodes[0]
	s.Nodes = nil
	for i := range n {
		nd := base
		nd.Name = fmt.Sprintf("node%04d", i)
		s.Nodes = append(s.Nodes, nd)
	}
	return s
}

func benchmarkGet(b *testing.B, path string) {
	s := fleet(1000)
	h := Handler(SourceFunc(func() Snapshot { s.Generated = time.Now(); return s }))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
		b.SetBytes(int64(w.Body.Len()))
		io.Discard.Write(w.Body.Bytes())
	}
}

func BenchmarkAPIStatus1000(b *testing.B) { benchmarkGet(b, APIPath) }
func BenchmarkPage1000(b *testing.B)      { benchmarkGet(b, "/") }
