package ocibundle

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"oras.land/oras-go/v2/registry/remote/retry"
)

// Timeouts bound each step of talking to a registry, so one that accepts
// the connection and never answers (or stops mid-blob) fails the pull
// instead of hanging it: a boot server runs unattended. A zero field
// takes DefaultTimeouts' value.
type Timeouts struct {
	Dial           time.Duration // TCP connect
	TLSHandshake   time.Duration
	ResponseHeader time.Duration // request sent to response headers
	Idle           time.Duration // longest silence on an open connection, mid-body too
}

// DefaultTimeouts are generous for a registry on a LAN or the internet.
var DefaultTimeouts = Timeouts{Dial: 10 * time.Second, TLSHandshake: 10 * time.Second, ResponseHeader: 30 * time.Second, Idle: 60 * time.Second}

func (t Timeouts) orDefault() Timeouts {
	for _, f := range []struct {
		v *time.Duration
		d time.Duration
	}{
		{&t.Dial, DefaultTimeouts.Dial}, {&t.TLSHandshake, DefaultTimeouts.TLSHandshake},
		{&t.ResponseHeader, DefaultTimeouts.ResponseHeader}, {&t.Idle, DefaultTimeouts.Idle},
	} {
		if *f.v <= 0 {
			*f.v = f.d
		}
	}
	return t
}

// httpClient is the client registries are spoken to with: t's bounds,
// oras' retries (of 5xx and network errors), and errors naming the host.
func httpClient(t Timeouts) *http.Client {
	t = t.orDefault()
	dialer := &net.Dialer{Timeout: t.Dial, KeepAlive: 30 * time.Second}
	base := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &idleConn{Conn: c, idle: t.Idle}, nil
		},
		TLSHandshakeTimeout:   t.TLSHandshake,
		ResponseHeaderTimeout: t.ResponseHeader,
		IdleConnTimeout:       t.Idle,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: namingHost{retry.NewTransport(base)}}
}

// idleConn fails a read or write that waits longer than idle: a deadline
// moved forward on every call, so a slow but moving transfer goes on.
type idleConn struct {
	net.Conn
	idle time.Duration
}

func (c *idleConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	return c.Conn.Read(b)
}

func (c *idleConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.idle))
	return c.Conn.Write(b)
}

// namingHost wraps transport errors with the registry's host.
type namingHost struct{ http.RoundTripper }

func (n namingHost) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := n.RoundTripper.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", req.URL.Host, err)
	}
	return resp, nil
}
