// Command statusload measures the status server with 1,000 nodes on
// record: serve/status's Handler on loopback, a Source that copies the
// fleet's records out on every request (as the orchestrator's does, under
// its lock), and concurrent clients each GETting /api/v1/status, then /,
// reading every body to the end. It checks that the first JSON response
// decodes to every node and that the page has a row per node, and prints
// "NAME VALUE" lines for bench/status.sh:
//
//	api.p50-ms, api.p99-ms, api.rps, api.bytes     GET /api/v1/status
//	html.p50-ms, html.p99-ms, html.rps, html.bytes GET /
//
//	statusload [-nodes 1000] [-groups 10] [-clients 32] [-requests 2000] [-page-requests 200]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"rambox/serve/status"
)

type options struct {
	nodes, groups, clients, requests, pageRequests int
	limit                                          time.Duration
}

func main() {
	var o options
	flag.IntVar(&o.nodes, "nodes", 1000, "nodes on record")
	flag.IntVar(&o.groups, "groups", 10, "groups the nodes are spread over")
	flag.IntVar(&o.clients, "clients", 32, "concurrent clients")
	flag.IntVar(&o.requests, "requests", 2000, "GETs of /api/v1/status, over all clients")
	flag.IntVar(&o.pageRequests, "page-requests", 200, "GETs of the page /, over all clients (a page is read by people every 5 s, the API by scripts)")
	flag.DurationVar(&o.limit, "limit", 5*time.Minute, "time limit of each endpoint's load")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "statusload: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.nodes < 1 || o.groups < 1 || o.clients < 1 || o.requests < 1 || o.pageRequests < 1 {
		return errors.New("-nodes, -groups, -clients, -requests and -page-requests must be at least 1")
	}
	fleet := makeFleet(o.nodes, o.groups)
	src := status.SourceFunc(func() status.Snapshot {
		s := fleet
		s.Generated = time.Now()
		s.Groups = slices.Clone(fleet.Groups)
		s.Nodes = slices.Clone(fleet.Nodes)
		return s
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: status.Handler(src), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.clients, DisableCompression: true},
	}
	if err := check(client, base, o.nodes); err != nil {
		return err
	}
	for _, ep := range []struct {
		name, path string
		n          int
	}{{"api", status.APIPath, o.requests}, {"html", "/", o.pageRequests}} {
		l, err := load(client, base+ep.path, ep.n, o)
		if err != nil {
			return fmt.Errorf("GET %s: %w", ep.path, err)
		}
		fmt.Printf("%s.p50-ms %.3f\n", ep.name, ms(l.quantile(0.50)))
		fmt.Printf("%s.p99-ms %.3f\n", ep.name, ms(l.quantile(0.99)))
		fmt.Printf("%s.rps %.1f\n", ep.name, float64(len(l.times))/l.wall.Seconds())
		fmt.Printf("%s.bytes %d\n", ep.name, l.bytes)
	}
	return nil
}

// check makes sure both endpoints show the whole fleet before timing them.
func check(c *http.Client, base string, nodes int) error {
	s, err := status.Fetch(context.Background(), base, c)
	if err != nil {
		return err
	}
	if len(s.Nodes) != nodes {
		return fmt.Errorf("GET %s: %d nodes, want %d", status.APIPath, len(s.Nodes), nodes)
	}
	body, _, err := get(c, base+"/")
	if err != nil {
		return err
	}
	if n := strings.Count(string(body), `<tr class="node`); n != nodes {
		return fmt.Errorf("GET /: %d node rows, want %d", n, nodes)
	}
	return nil
}

func get(c *http.Client, url string) ([]byte, time.Duration, error) {
	start := time.Now()
	resp, err := c.Get(url)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	d := time.Since(start)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return b, d, nil
}

type result struct {
	times []time.Duration
	wall  time.Duration
	bytes int
}

func (r result) quantile(q float64) time.Duration {
	s := slices.Clone(r.times)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// load runs n GETs of url from o.clients goroutines.
func load(c *http.Client, url string, n int, o options) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.limit)
	defer cancel()
	next := make(chan struct{}, n)
	for range n {
		next <- struct{}{}
	}
	close(next)
	var (
		mu    sync.Mutex
		res   result
		errs  []error
		wg    sync.WaitGroup
		start = time.Now()
	)
	for range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				if ctx.Err() != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("time limit %s reached", o.limit))
					mu.Unlock()
					return
				}
				b, d, err := get(c, url)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					res.times = append(res.times, d)
					res.bytes = len(b)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.wall = time.Since(start)
	if len(errs) > 0 {
		return res, fmt.Errorf("%d of %d requests failed, first: %w", len(errs), n, errs[0])
	}
	return res, nil
}

// makeFleet is n nodes over g groups, every field filled as a booted node
// has it, so the bytes per node are the real ones.
func makeFleet(n, g int) status.Snapshot {
	now := time.Now().UTC()
	digest := func(i int) string { return fmt.Sprintf("sha256:%064x", i+1) }
	s := status.Snapshot{Server: "127.0.0.1", Generated: now}
	for i := range g {
		s.Groups = append(s.Groups, status.Group{
			Name: fmt.Sprintf("group%02d", i), Serving: digest(2 * i), Desired: digest(2 * i), Previous: digest(2*i + 1), State: "serving",
		})
	}
	for i := range n {
		grp := s.Groups[i%g]
		s.Nodes = append(s.Nodes, status.Node{
			Name: fmt.Sprintf("node%04d", i), MAC: fmt.Sprintf("52:54:00:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff),
			IP: fmt.Sprintf("10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff), Group: grp.Name,
			Given: grp.Serving, Booted: grp.Serving, Result: status.ResultPass, State: "booted",
			LastDHCP: now.Add(-40 * time.Second), LastFile: now.Add(-35 * time.Second), LastFileName: "initramfs.cpio.gz",
			LastReport: now.Add(-30 * time.Second), BootTime: 9500 * time.Millisecond,
		})
	}
	return s
}
