package sources

import (
	"context"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stallServer accepts connections on loopback and, after sending prefix,
// never sends another byte.
func stallServer(t *testing.T, prefix string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go func() {
				buf := make([]byte, 4096)
				c.Read(buf) // the request
				c.Write([]byte(prefix))
			}()
		}
	}()
	return ln.Addr().String()
}

func TestDownloadStalls(t *testing.T) {
	tests := []struct{ name, prefix string }{
		{"no answer", ""},
		{"half a header", "HTTP/1.1 200 OK\r\n"},
		{"stalled body", "HTTP/1.1 200 OK\r\nContent-Length: 19000\r\n\r\nlinux source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host := stallServer(t, tc.prefix)
			client := NewClient(Timeouts{Connect: time.Second, Idle: 200 * time.Millisecond})
			c := Cache{Dir: t.TempDir()}
			start := time.Now()
			_, err := c.Download(context.Background(), pinFor("http://"+host+"/linux.tar"), client, nil)
			if err == nil || !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), "no bytes for 200ms") {
				t.Errorf("Download from a stalled server = %v, want an error naming %s and the idle time", err, host)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Download took %v, want it bounded by the idle timeout", d)
			}
			if files := cacheFiles(t, c); len(files) != 0 {
				t.Errorf("cache holds %v after a stalled download", files)
			}
		})
	}
}

// fullBacklog listens on loopback with a backlog of 0 and never accepts:
// once its queue holds a connection, the kernel drops further SYNs, so a
// connect neither succeeds nor fails.
func fullBacklog(t *testing.T) string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr // the queue is full
		}
		t.Cleanup(func() { c.Close() })
		if i == 10 {
			t.Fatalf("%s keeps accepting connections: cannot test a connect timeout", addr)
		}
	}
}

func TestDownloadConnectTimeout(t *testing.T) {
	host := fullBacklog(t)
	client := NewClient(Timeouts{Connect: 300 * time.Millisecond, Idle: 10 * time.Second})
	start := time.Now()
	_, err := (Cache{Dir: t.TempDir()}).Download(context.Background(), pinFor("http://"+host+"/linux.tar"), client, nil)
	if err == nil || !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("Download from an unreachable host = %v, want a connect timeout naming %s", err, host)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Download took %v, want it bounded by the connect timeout", d)
	}
}
