package sources

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Timeouts bound a download, so a source server that accepts a connection
// and then goes quiet fails the fetch instead of hanging it.
type Timeouts struct {
	Connect time.Duration // TCP connect, and the TLS handshake
	Idle    time.Duration // no bytes received for this long, at any point of a request
}

// DefaultTimeouts are generous for a slow mirror and short enough that a
// dead one is noticed.
var DefaultTimeouts = Timeouts{Connect: 30 * time.Second, Idle: 60 * time.Second}

// NewClient is an HTTP client for source downloads with t's bounds. The
// idle bound is a read deadline renewed before every read of the
// connection: it covers waiting for the response header and every gap in
// the body, however long the whole download takes.
func NewClient(t Timeouts) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: t.Connect}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &idleConn{Conn: c, addr: addr, idle: t.Idle}, nil
	}
	tr.TLSHandshakeTimeout = t.Connect
	return &http.Client{Transport: tr}
}

// idleConn fails a read that waits longer than idle for a byte, naming the
// host that went quiet.
type idleConn struct {
	net.Conn
	addr string
	idle time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		err = fmt.Errorf("%s: no bytes for %s: %w", c.addr, c.idle, err)
	}
	return n, err
}
