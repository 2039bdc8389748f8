package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// FetchTimeout bounds Fetch when ctx has no earlier deadline.
const FetchTimeout = 10 * time.Second

// APIPath is where Handler serves the whole Snapshot.
const APIPath = APIPrefix + "status"

// APIPrefix is where the JSON API lives (serve routes it here).
const APIPrefix = "/api/v1/"

// Fetch gets the Snapshot from the status server at server (a base URL
// such as http://10.0.0.1:8080, or host:port). c may be nil for
// http.DefaultClient. Errors name the URL.
func Fetch(ctx context.Context, server string, c *http.Client) (Snapshot, error) {
	u, err := apiURL(server)
	if err != nil {
		return Snapshot{}, err
	}
	if c == nil {
		c = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Snapshot{}, fmt.Errorf("status %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		// The URL is named once, here, not again by net/http's url.Error.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return Snapshot{}, fmt.Errorf("status %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return Snapshot{}, fmt.Errorf("status %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	var s Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return Snapshot{}, fmt.Errorf("status %s: decoding the snapshot: %w", u, err)
	}
	return s, nil
}

// apiURL turns a server base URL (or bare host:port) into the API URL.
func apiURL(server string) (string, error) {
	if server == "" {
		return "", fmt.Errorf("status server: no URL given")
	}
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("status server %q: %w", server, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("status server %q: scheme %q is not http or https", server, u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("status server %q: no host", server)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + APIPath
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}
