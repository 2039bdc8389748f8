// Package servetest has what tests of rambox serve share: free loopback
// ports, fake boot loaders, a loopback inventory and a log buffer that
// can be read while a server writes it.
package servetest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// FreeAddr is a loopback address ("tcp" or "udp") whose port is free now.
func FreeAddr(t testing.TB, network string) string {
	t.Helper()
	if network == "tcp" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

// Inventory writes nodes.yaml with the server on 127.0.0.1 and one node
// per MAC (127.0.0.10, .11, ...), and returns its path.
func Inventory(t testing.TB, macs ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "nodes.yaml")
	WriteInventory(t, p, macs...)
	return p
}

// WriteInventory (re)writes the inventory at p, as Inventory does.
func WriteInventory(t testing.TB, p string, macs ...string) {
	t.Helper()
	s := "server:\n  ip: 127.0.0.1\n  subnet: 127.0.0.0\n  netmask: 255.0.0.0\nnodes:\n"
	for i, m := range macs {
		s += fmt.Sprintf("  - name: n%d\n    mac: %s\n    ip: 127.0.0.%d\n", i, m, 10+i)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Log is a buffer a server logs into and a test reads while it runs.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Log) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *Log) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }
