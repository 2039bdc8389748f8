package records

import (
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDHCP: one commit (and fsync) per call from one caller.
func BenchmarkDHCP(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "records.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	mac := net.HardwareAddr{0x52, 0x54, 0, 0, 0, 1}
	for b.Loop() {
		if err := s.DHCP(mac, "", "DISCOVER", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDHCPParallel: concurrent callers share commits.
func BenchmarkDHCPParallel(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "records.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var next atomic.Uint32
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1)
		mac := net.HardwareAddr{0x52, 0x54, 0, 0, byte(i >> 8), byte(i)}
		for pb.Next() {
			if err := s.DHCP(mac, "", "DISCOVER", time.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
