// Package statustest reads rambox's status page the way a person sees it:
// through the DOM of a real headless Chromium (Debian's chromium), driven
// with chromedp. serve/status's own test and the fleet e2e test use it.
package statustest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// DefaultChromium is where Debian's chromium package puts the browser;
// $RAMBOX_CHROMIUM overrides it.
const DefaultChromium = "/usr/bin/chromium"

// ErrNoChromium is returned when no chromium binary is found.
var ErrNoChromium = errors.New("chromium not found (Debian package chromium, or set RAMBOX_CHROMIUM)")

// Chromium returns the browser binary to run.
func Chromium() (string, error) {
	if p := os.Getenv("RAMBOX_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("RAMBOX_CHROMIUM %s: %w", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat(DefaultChromium); err == nil {
		return DefaultChromium, nil
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Page is what one load of the status page showed.
type Page struct {
	// Groups and Nodes are the page's tr.group and tr.node rows, in
	// order. Each row maps its attributes as on the element ("class",
	// "data-name", "data-given" — full digests —...) and each cell's
	// data-col to its visible text ("name", "given" — short digests —,
	// "result", "state"...), plus "title:"+col for cells with a title,
	// and "color": the computed CSS color of the row's first cell, so a
	// test can check that failures really are red.
	Groups, Nodes []map[string]string
	// Title is the document's title.
	Title string
	// PNG is a full-page screenshot.
	PNG []byte
}

// Timeout bounds Load when ctx has no earlier deadline: chromium's start
// plus one page.
const Timeout = 60 * time.Second

// rowsJS collects rows matching a selector into plain objects.
const rowsJS = `(sel) => Array.from(document.querySelectorAll(sel)).map(tr => {
  const r = {};
  for (const a of tr.attributes) r[a.name] = a.value;
  for (const td of tr.querySelectorAll('td[data-col]')) {
    const col = td.getAttribute('data-col');
    r[col] = td.textContent.trim();
    if (td.hasAttribute('title')) r['title:' + col] = td.getAttribute('title');
  }
  const first = tr.querySelector('td');
  if (first) r['color'] = getComputedStyle(first).color;
  return r;
})`

// Load opens url in a new headless chromium, waits for the page, reads its
// rows through the DOM and takes a full-page screenshot.
func Load(ctx context.Context, url string) (Page, error) {
	bin, err := Chromium()
	if err != nil {
		return Page{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.DisableGPU,
		// chromium refuses to run as root with its sandbox; the page is
		// our own, on loopback.
		chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	fail := func(err error) (Page, error) {
		return Page{}, fmt.Errorf("chromium %s: loading %s: %w", bin, url, err)
	}
	// The first Run starts the browser; every step runs in its one tab.
	if err := chromedp.Do(bctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("table#nodes"))); err != nil {
		return fail(err)
	}
	var p Page
	if p.Title, err = chromedp.Run(bctx, chromedp.Title()); err != nil {
		return fail(err)
	}
	if p.Groups, err = chromedp.Run(bctx, chromedp.Evaluate[[]map[string]string]("("+rowsJS+")('tr.group')")); err != nil {
		return fail(err)
	}
	if p.Nodes, err = chromedp.Run(bctx, chromedp.Evaluate[[]map[string]string]("("+rowsJS+")('tr.node')")); err != nil {
		return fail(err)
	}
	// Quality 100 makes chromedp capture PNG.
	if p.PNG, err = chromedp.Run(bctx, chromedp.FullScreenshot(100)); err != nil {
		return fail(err)
	}
	return p, nil
}

// Rows loads url and returns its node rows (see Page.Nodes).
func Rows(ctx context.Context, url string) ([]map[string]string, error) {
	p, err := Load(ctx, url)
	return p.Nodes, err
}

// Screenshot loads url and writes a full-page PNG screenshot to file,
// making its directory.
func Screenshot(ctx context.Context, url, file string) error {
	p, err := Load(ctx, url)
	if err != nil {
		return err
	}
	return WritePNG(file, p.PNG)
}

// WritePNG writes png to file, making its directory.
func WritePNG(file string, png []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("screenshot %s: %w", file, err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		return fmt.Errorf("screenshot %s: %w", file, err)
	}
	return nil
}

// ArtifactDir is where test t keeps what it shows (screenshots):
// $RAMBOX_ARTIFACTS/sub when set, else t's own temporary directory, never
// the source tree.
func ArtifactDir(t testing.TB, sub string) string {
	if d := os.Getenv("RAMBOX_ARTIFACTS"); d != "" {
		return filepath.Join(d, sub)
	}
	return t.TempDir()
}
